//go:build !linux

package main

import "time"

// Without /proc and a subreaper the tests cannot look for the processes
// they leave behind; killTmux still kills each pane's process.
func becomeSubreaper() bool                       { return false }
func running(int) bool                            { return false }
func descendants(int) []int                       { return nil }
func killDescendants(int, time.Duration) []string { return nil }
