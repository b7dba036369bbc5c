package conformance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// serverVersion is what the srvr four-letter word reports as the
// server's version.
type serverVersion struct {
	major, minor, patch int
	suffix              string // what follows the numbers, e.g. "-zabkit" or "-5a02a05e..., built on ..."
}

func (v serverVersion) String() string {
	return fmt.Sprintf("%d.%d.%d%s", v.major, v.minor, v.patch, v.suffix)
}

// existsChecksRead reports whether a server of this version answers exists
// on an existing node it may not READ with NoAuth. Apache ZooKeeper added
// that check to FinalRequestProcessor in 3.8.4 (and 3.9.2, the releases
// of the same security fixes); 3.8.0 to 3.8.3 answer exists without any ACL
// check. zabkit follows 3.8.4 whatever number it prints.
func (v serverVersion) existsChecksRead() bool {
	if strings.Contains(strings.ToLower(v.suffix), "zabkit") {
		return true
	}
	switch {
	case v.major != 3:
		return v.major > 3
	case v.minor < 8:
		return false
	case v.minor == 8:
		return v.patch >= 4
	case v.minor == 9:
		return v.patch >= 2
	}
	return true
}

// parseSrvrVersion finds the "Zookeeper version: 3.8.0-..." line of srvr's
// output and parses its leading major.minor.patch.
func parseSrvrVersion(out string) (serverVersion, error) {
	const key = "zookeeper version:"
	for line := range strings.SplitSeq(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(strings.ToLower(line), key) {
			continue
		}
		s := strings.TrimSpace(line[len(key):])
		var v serverVersion
		nums := []*int{&v.major, &v.minor, &v.patch}
		for i, n := range nums {
			j := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			x, err := strconv.Atoi(s[:j])
			if err != nil {
				return serverVersion{}, fmt.Errorf("srvr version %q: not major.minor.patch", line)
			}
			*n, s = x, s[j:]
			if i < len(nums)-1 {
				if !strings.HasPrefix(s, ".") {
					return serverVersion{}, fmt.Errorf("srvr version %q: not major.minor.patch", line)
				}
				s = s[1:]
			}
		}
		v.suffix = s
		return v, nil
	}
	return serverVersion{}, fmt.Errorf("srvr output has no %q line: %q", "Zookeeper version:", out)
}

// probeVersion asks the first server of the connect string that answers
// for srvr and parses its version. srvr is on every whitelist by default
// (ZooKeeper's and zabkit's).
func probeVersion(ctx context.Context, servers string) (serverVersion, error) {
	var errs []string
	for _, addr := range strings.Split(servers, ",") {
		if i := strings.IndexByte(addr, '/'); i >= 0 { // chroot suffix
			addr = addr[:i]
		}
		out, err := fourLetterWord(ctx, strings.TrimSpace(addr), "srvr")
		if err == nil {
			var v serverVersion
			if v, err = parseSrvrVersion(out); err == nil {
				return v, nil
			}
		}
		errs = append(errs, fmt.Sprintf("%s: %v", addr, err))
	}
	return serverVersion{}, fmt.Errorf("srvr: %s", strings.Join(errs, "; "))
}

// fourLetterWord sends cmd to addr and reads the reply until the server
// closes the connection.
func fourLetterWord(ctx context.Context, addr, cmd string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(io.LimitReader(c, 1<<20)))
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}
