package seqnode

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// fastBackOff spaces retries after connection loss: a reconnect to another
// server usually takes milliseconds, so start small; the caller's ctx and
// the session bound the total.
func fastBackOff() backoff.BackOff { return FastBackOff() }

// FastBackOff is the retry policy the recipes use: 10ms growing to 500ms,
// randomized, no total limit.
func FastBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 10 * time.Millisecond
	b.MaxInterval = 500 * time.Millisecond
	b.MaxElapsedTime = 0
	return b
}
