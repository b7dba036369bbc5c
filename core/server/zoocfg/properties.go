package zoocfg

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// property is one key=value entry of a Java properties file, with the line
// it starts on.
type property struct {
	key, value string
	line       int
}

// readProperties reads a file in java.util.Properties' line format, as
// ZooKeeper's QuorumPeerConfig loads zoo.cfg: '#' and '!' comment lines,
// "key=value", "key:value" or "key value", a trailing backslash continuing
// a line, and the escapes \t \n \r \f \uXXXX (any other \c is c). Keys and
// values are trimmed, as QuorumPeerConfig trims them. Entries come back in
// file order, duplicates included.
func readProperties(r io.Reader) ([]property, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var (
		props   []property
		lineNo  int
		logical strings.Builder
		start   int
		pending bool
	)
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), "\r")
		if pending {
			raw = strings.TrimLeft(raw, " \t\f")
		} else {
			trimmed := strings.TrimLeft(raw, " \t\f")
			if trimmed == "" || trimmed[0] == '#' || trimmed[0] == '!' {
				continue
			}
			raw = trimmed
			start = lineNo
		}
		if continues(raw) {
			logical.WriteString(raw[:len(raw)-1])
			pending = true
			continue
		}
		logical.WriteString(raw)
		p, err := splitProperty(logical.String(), start)
		if err != nil {
			return nil, err
		}
		props = append(props, p)
		logical.Reset()
		pending = false
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if pending {
		p, err := splitProperty(logical.String(), start)
		if err != nil {
			return nil, err
		}
		props = append(props, p)
	}
	return props, nil
}

// continues reports whether a line ends in an odd number of backslashes,
// which joins it with the next line.
func continues(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits one logical line into key and value: the key ends at
// the first unescaped '=', ':' or whitespace; whitespace and at most one
// '=' or ':' separate it from the value.
func splitProperty(s string, line int) (property, error) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(s) { // a trailing lone backslash
		i = len(s)
	}
	rawKey, rest := s[:i], s[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescape(rawKey)
	if err != nil {
		return property{}, fmt.Errorf("line %d: %w", line, err)
	}
	value, err := unescape(rest)
	if err != nil {
		return property{}, fmt.Errorf("line %d: %s: %w", line, key, err)
	}
	return property{key: strings.TrimSpace(key), value: strings.TrimSpace(value), line: line}, nil
}

// unescape resolves the backslash escapes of a properties file.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\u escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\u escape in %q", s)
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
