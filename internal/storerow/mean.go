package storerow

import "time"

// Mean is the mean of n durations summed as whole seconds and a nanosecond
// remainder (which may be negative), rounded down to the nanosecond. The
// division is done in two steps so that sums of long durations cannot
// overflow. A zero n has a zero mean.
func Mean(n, secs, nanos int64) time.Duration {
	if n == 0 {
		return 0
	}
	rest := (secs%n)*int64(time.Second) + nanos
	frac := rest / n
	if rest%n < 0 {
		frac-- // round down, not towards zero
	}
	return time.Duration(secs/n)*time.Second + time.Duration(frac)
}
