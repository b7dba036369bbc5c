package main

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPromWriter(t *testing.T) {
	var b strings.Builder
	p := &promWriter{w: &b}
	p.gauge("znode_count", "Number of znodes", 5)
	p.counter("packets_received", "Packets received\nfrom clients \\ peers", 1e12)
	p.gaugeVec("quorum_size", "Servers", []labelled{
		{labels: map[string]string{"role": "voter", "zone": `a"b\c` + "\n"}, value: 3},
		{labels: map[string]string{"role": "observer"}, value: 0.5},
	})
	p.summary("fsynctime", "fsync time in ms", map[float64]float64{0.99: 7, 0.5: 1.25}, 12.5, 9)
	p.gauge("nan", "not a number", math.NaN())
	p.gauge("inf", "infinite", math.Inf(-1))
	p.gauge("small", "a fraction", 1.5e-7)
	assert.NoError(t, p.err)
	assert.Equal(t, `# HELP znode_count Number of znodes
# TYPE znode_count gauge
znode_count 5
# HELP packets_received Packets received\nfrom clients \\ peers
# TYPE packets_received counter
packets_received 1000000000000
# HELP quorum_size Servers
# TYPE quorum_size gauge
quorum_size{role="voter",zone="a\"b\\c\n"} 3
quorum_size{role="observer"} 0.5
# HELP fsynctime fsync time in ms
# TYPE fsynctime summary
fsynctime{quantile="0.5"} 1.25
fsynctime{quantile="0.99"} 7
fsynctime_sum 12.5
fsynctime_count 9
# HELP nan not a number
# TYPE nan gauge
nan NaN
# HELP inf infinite
# TYPE inf gauge
inf -Inf
# HELP small a fraction
# TYPE small gauge
small 1.5e-07
`, b.String())
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("broken pipe")
	}
	f.n--
	return len(p), nil
}

func TestPromWriterKeepsFirstError(t *testing.T) {
	fw := &failWriter{n: 1}
	p := &promWriter{w: fw}
	p.gauge("a", "a", 1)
	p.gauge("b", "b", 2)
	p.gauge("c", "c", 3)
	assert.EqualError(t, p.err, "broken pipe")
}
