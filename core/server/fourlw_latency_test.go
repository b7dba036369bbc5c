package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCeilMS: srvr and mntr print the maximum latency in whole
// milliseconds rounded up, so it is never below the average they print
// with decimals (a 0.4ms average over a "0" maximum otherwise).
func TestCeilMS(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		0:                      0,
		time.Microsecond:       1,
		400 * time.Microsecond: 1,
		time.Millisecond:       1,
		time.Millisecond + 1:   2,
		12 * time.Millisecond:  12,
	} {
		require.Equal(t, want, ceilMS(d), "%v", d)
		require.GreaterOrEqual(t, float64(ceilMS(d)), ms(d), "%v", d)
	}
}
