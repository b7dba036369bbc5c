package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// promWriter writes the Prometheus text exposition format (version 0.0.4):
// one "# HELP" and "# TYPE" line per family, then its samples. It keeps the
// first write error and ignores later writes.
type promWriter struct {
	w   io.Writer
	err error
}

// promContentType is the Content-Type of the text format.
const promContentType = "text/plain; version=0.0.4; charset=utf-8"

func (p *promWriter) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

func (p *promWriter) header(name, typ, help string) {
	p.printf("# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// gauge writes a gauge family with one unlabelled sample.
func (p *promWriter) gauge(name, help string, v float64) {
	p.header(name, "gauge", help)
	p.printf("%s %s\n", name, promFloat(v))
}

// counter writes a counter family with one unlabelled sample.
func (p *promWriter) counter(name, help string, v float64) {
	p.header(name, "counter", help)
	p.printf("%s %s\n", name, promFloat(v))
}

// labelled is one sample of a family with labels.
type labelled struct {
	labels map[string]string
	value  float64
}

// gaugeVec writes a gauge family with one sample per label set.
func (p *promWriter) gaugeVec(name, help string, samples []labelled) {
	p.header(name, "gauge", help)
	for _, s := range samples {
		p.printf("%s%s %s\n", name, promLabels(s.labels), promFloat(s.value))
	}
}

// summary writes a summary family: one sample per quantile, then _sum and
// _count.
func (p *promWriter) summary(name, help string, quantiles map[float64]float64, sum float64, count uint64) {
	p.header(name, "summary", help)
	qs := make([]float64, 0, len(quantiles))
	for q := range quantiles {
		qs = append(qs, q)
	}
	sort.Float64s(qs)
	for _, q := range qs {
		p.printf("%s{quantile=%q} %s\n", name, promFloat(q), promFloat(quantiles[q]))
	}
	p.printf("%s_sum %s\n%s_count %d\n", name, promFloat(sum), name, count)
}

// promFloat formats a sample value as the text format wants it.
func promFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatFloat(v, 'f', -1, 64) // integers in full: zxids, counters
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// promLabels formats {k="v",...} with keys sorted and values escaped.
func promLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(labels[k]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }
