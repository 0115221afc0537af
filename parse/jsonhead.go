package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// JSONMembers walks the top-level members of the JSON object head starts
// with, calling fn with each key and its value while fn returns true. head
// may be a prefix of a longer document (the sniff window): the walk stops
// at the first value that does not end inside head, and cut names that
// member's key. ok is false when head does not start with an object or
// breaks JSON syntax before the cut.
//
// Sniffers use it to check a document's structure — which keys it has at
// the top — rather than whether some word appears somewhere in it.
func JSONMembers(head []byte, fn func(key string, value json.RawMessage) bool) (cut string, ok bool) {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", isCutJSON(err)
		}
		key, isKey := t.(string)
		if !isKey {
			return "", false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			// A value cut by the end of head, or broken JSON.
			return key, isCutJSON(err)
		}
		if !fn(key, v) {
			return "", true
		}
	}
	return "", true
}

// IsCutJSON tells a document that ends early (a sniff window, a truncated
// file) from one that is malformed, by the error encoding/json gave.
func IsCutJSON(err error) bool { return isCutJSON(err) }

func isCutJSON(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
