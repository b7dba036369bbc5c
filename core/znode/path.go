package znode

import (
	"strings"
	"unicode/utf8"

	"github.com/zabkit/zabkit/wire"
)

// ValidatePath checks path with ZooKeeper's rules (PathUtils.validatePath):
// absolute, no trailing slash (except the root "/"), no empty, "." or ".."
// segment, no NUL, no control characters (U+0001..U+001F, U+007F..U+009F),
// no characters in U+D800..U+F8FF or U+FFF0..U+FFFF, and no character
// outside the Basic Multilingual Plane (ZooKeeper sees those as surrogate
// pairs, which it rejects). Bytes that are not valid UTF-8 are rejected too:
// ZooKeeper decodes them to U+FFFD, which it rejects. The error is
// wire.CodeBadArguments.
func ValidatePath(path string) error {
	if !validPath(path) {
		return wire.CodeBadArguments
	}
	return nil
}

func validPath(path string) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	if len(path) == 1 {
		return true
	}
	if path[len(path)-1] == '/' {
		return false
	}
	// Segment-wise checks: no empty, "." or ".." segment.
	for rest := path[1:]; ; {
		i := strings.IndexByte(rest, '/')
		seg := rest
		if i >= 0 {
			seg = rest[:i]
		}
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	for i := 1; i < len(path); {
		c := path[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(path[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		switch {
		case r >= 0x7f && r <= 0x9f,
			r >= 0xd800 && r <= 0xf8ff,
			r >= 0xfff0,
			r > 0xffff:
			return false
		}
		i += size
	}
	return true
}

// splitPath returns the parent path and the last segment of an absolute
// path. The parent of "/a" is "/". ok is false for the root or a path
// without a slash.
func splitPath(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 || path == "/" {
		return "", "", false
	}
	if i == 0 {
		return "/", path[1:], true
	}
	return path[:i], path[i+1:], true
}

// join returns parent + "/" + name, treating the root specially.
func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// isSpecialPath reports whether path is one of the nodes ZooKeeper refuses
// to delete ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config").
func isSpecialPath(path string) bool {
	switch path {
	case "/", ZookeeperPath, QuotaPath, ConfigPath:
		return true
	}
	return false
}

// Reserved nodes every tree has, as in ZooKeeper.
const (
	// ZookeeperPath is the reserved system subtree.
	ZookeeperPath = "/zookeeper"
	// QuotaPath holds quota definitions.
	QuotaPath = "/zookeeper/quota"
	// ConfigPath holds the dynamic ensemble configuration; its ACL is
	// world:anyone READ, as in ZooKeeper.
	ConfigPath = "/zookeeper/config"
)
