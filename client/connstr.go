package client

import (
	"fmt"
	"net"
	"strings"
)

// defaultPort is used for a server given without a port, as ZooKeeper does.
const defaultPort = "2181"

// parseConnectString splits "host:port,host:port/chroot" into server
// addresses and a chroot ("" when absent or "/").
func parseConnectString(s string) (servers []string, chroot string, err error) {
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := validatePath(chroot, false); err != nil {
			return nil, "", fmt.Errorf("zk: connect string %q: chroot: %w", s, err)
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			// No port (or a bare IPv6 literal): add the default one.
			host := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
			h = net.JoinHostPort(host, defaultPort)
			if _, _, err := net.SplitHostPort(h); err != nil {
				return nil, "", fmt.Errorf("zk: connect string %q: bad server %q", s, h)
			}
		}
		servers = append(servers, h)
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("zk: connect string %q names no server: %w", s, ErrBadArguments)
	}
	return servers, chroot, nil
}

// validatePath checks a znode path as ZooKeeper's PathUtils.validatePath
// does. sequential allows a trailing "/" (the server appends the sequence
// number to the name, which may then be empty).
func validatePath(p string, sequential bool) error {
	if p == "" {
		return fmt.Errorf("zk: empty path: %w", ErrBadArguments)
	}
	if p[0] != '/' {
		return fmt.Errorf("zk: path %q must start with /: %w", p, ErrBadArguments)
	}
	if len(p) == 1 {
		return nil
	}
	if p[len(p)-1] == '/' && !sequential {
		return fmt.Errorf("zk: path %q must not end with /: %w", p, ErrBadArguments)
	}
	prev := '/'
	for i, r := range p {
		if i == 0 {
			continue
		}
		switch {
		case r == 0:
			return fmt.Errorf("zk: path %q has a null character at %d: %w", p, i, ErrBadArguments)
		case r == '/' && prev == '/':
			return fmt.Errorf("zk: path %q has an empty node name at %d: %w", p, i, ErrBadArguments)
		case r == '.' && prev == '.':
			if p[i-2] == '/' && (i+1 == len(p) || p[i+1] == '/') {
				return fmt.Errorf("zk: path %q has a relative segment at %d: %w", p, i, ErrBadArguments)
			}
		case r == '.':
			if prev == '/' && (i+1 == len(p) || p[i+1] == '/') {
				return fmt.Errorf("zk: path %q has a relative segment at %d: %w", p, i, ErrBadArguments)
			}
		case r > 0 && r <= 0x1f, r >= 0x7f && r <= 0x9f,
			r >= 0xd800 && r <= 0xf8ff, r >= 0xfff0 && r <= 0xffff:
			return fmt.Errorf("zk: path %q has an invalid character at %d: %w", p, i, ErrBadArguments)
		}
		prev = r
	}
	return nil
}

// addChroot turns a client path into a server path.
func (c *Conn) serverPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

// clientPath turns a server path into a client path (the chroot removed).
func (c *Conn) clientPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == c.chroot {
		return "/"
	}
	if strings.HasPrefix(p, c.chroot) && len(p) > len(c.chroot) && p[len(c.chroot)] == '/' {
		return p[len(c.chroot):]
	}
	return p
}
