package parse

import "encoding/binary"

// pprofCost estimates what github.com/google/pprof/profile.ParseData
// allocates for data (a decompressed profile.proto) from one walk over its
// fields, before any of it is allocated: live is what the parsed Profile
// holds for the run, transient what the decoding holds only meanwhile (the
// ID slices postDecode resolves into pointers, the index maps). The
// figures per message follow the structs of profile (Sample 128 bytes in
// its size class, Location 64, Line 32, Function 96, Mapping ~160), slices'
// append growth and maps' slots, checked against the heap in
// TestPprofCost; functions counts the Function messages. ok is false when
// data is not a protobuf (a legacy text or binary profile): the caller then
// assumes a factor of its size.
func pprofCost(data []byte) (live, transient, functions int64, ok bool) {
	for i := 0; i < len(data); {
		field, wire, n := protoTag(data[i:])
		if n <= 0 {
			return 0, 0, 0, false
		}
		i += n
		if wire != 2 {
			if wire != 0 {
				return 0, 0, 0, false
			}
			_, n = binary.Uvarint(data[i:])
			if n <= 0 {
				return 0, 0, 0, false
			}
			i += n
			continue
		}
		l, n := binary.Uvarint(data[i:])
		if n <= 0 || l > uint64(len(data)-i-n) {
			return 0, 0, 0, false
		}
		i += n
		msg := data[i : i+int(l)]
		i += int(l)
		switch field {
		case 1, 11: // sample_type, period_type
			live += 64
		case 2: // sample
			locs, vals, strLabels, numLabels := sampleShape(msg)
			live += 128 + 12 + roundAlloc(8*vals) + 8*locs
			if strLabels > 0 {
				live += 400 + 32*strLabels
			}
			if numLabels > 0 {
				live += 400 + 32*numLabels
			}
			transient += roundAlloc(8*locs)*3/2 + 48*(strLabels+numLabels)
		case 3: // mapping
			live += 176 + 12
			transient += 24
		case 4: // location
			lines := countField(msg, 4)
			live += 64 + 12 + roundAlloc(32*lines)*5/4
			transient += 24
		case 5: // function
			live += 96 + 12
			transient += 24
			functions++
		case 6: // string_table
			live += 24 + roundAlloc(int64(len(msg)))
		}
	}
	return live, transient, functions, true
}

func protoTag(b []byte) (field, wire uint64, n int) {
	tag, n := binary.Uvarint(b)
	return tag >> 3, tag & 7, n
}

// sampleShape counts a Sample message's location ids and values (packed
// or not) and its string and numeric labels.
func sampleShape(msg []byte) (locs, vals, strLabels, numLabels int64) {
	for i := 0; i < len(msg); {
		field, wire, n := protoTag(msg[i:])
		if n <= 0 {
			return
		}
		i += n
		switch wire {
		case 0:
			_, n = binary.Uvarint(msg[i:])
			if n <= 0 {
				return
			}
			i += n
			switch field {
			case 1:
				locs++
			case 2:
				vals++
			}
		case 2:
			l, n := binary.Uvarint(msg[i:])
			if n <= 0 || l > uint64(len(msg)-i-n) {
				return
			}
			i += n
			body := msg[i : i+int(l)]
			i += int(l)
			switch field {
			case 1:
				locs += countVarints(body)
			case 2:
				vals += countVarints(body)
			case 3:
				if countField(body, 2) > 0 { // Label.str
					strLabels++
				} else {
					numLabels++
				}
			}
		default:
			return
		}
	}
	return
}

// countVarints counts the varints of a packed field: the bytes without
// the continuation bit.
func countVarints(b []byte) int64 {
	var n int64
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}

// countField counts the occurrences of a field in a message with nonzero
// values (a varint) or any length (bytes).
func countField(msg []byte, want uint64) int64 {
	var n int64
	for i := 0; i < len(msg); {
		field, wire, k := protoTag(msg[i:])
		if k <= 0 {
			return n
		}
		i += k
		switch wire {
		case 0:
			v, k := binary.Uvarint(msg[i:])
			if k <= 0 {
				return n
			}
			i += k
			if field == want && v != 0 {
				n++
			}
		case 2:
			l, k := binary.Uvarint(msg[i:])
			if k <= 0 || l > uint64(len(msg)-i-k) {
				return n
			}
			i += k + int(l)
			if field == want {
				n++
			}
		case 1:
			i += 8
		case 5:
			i += 4
		default:
			return n
		}
	}
	return n
}

// roundAlloc rounds an allocation up as Go's size classes do, about: to 8
// bytes below 128, to 16 below 1 KiB, then by an eighth.
func roundAlloc(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n < 128:
		return (n + 7) &^ 7
	case n < 1024:
		return (n + 15) &^ 15
	}
	return n + n/8
}
