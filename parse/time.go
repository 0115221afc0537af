package parse

import "time"

func timeFromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func durationNanos(n int64) time.Duration { return time.Duration(n) }
