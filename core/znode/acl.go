package znode

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/zabkit/zabkit/wire"
)

// Well-known ids and ACL lists (ZooDefs.Ids).
var (
	// AnyoneID is world:anyone.
	AnyoneID = wire.ID{Scheme: "world", ID: "anyone"}
	// OpenACLUnsafe grants every permission to anyone.
	OpenACLUnsafe = []wire.ACL{{Perms: wire.PermAll, ID: AnyoneID}}
	// ReadACLUnsafe grants read to anyone.
	ReadACLUnsafe = []wire.ACL{{Perms: wire.PermRead, ID: AnyoneID}}
	// CreatorAllACL grants every permission to the creator's authenticated
	// ids (the "auth" scheme, expanded at create time).
	CreatorAllACL = []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "auth", ID: ""}}}
)

// SuperID is the id a session holds once it authenticated as the digest
// superuser; it passes every ACL check.
var SuperID = wire.ID{Scheme: "super", ID: ""}

// DigestID returns the digest-scheme id ZooKeeper derives from the
// credentials "user:password" of an addauth digest request:
// "user:" + base64(sha1("user:password")). The part before the first colon
// is the user name; without a colon, the whole string is.
func DigestID(credentials string) string {
	user, _, _ := strings.Cut(credentials, ":")
	sum := sha1.Sum([]byte(credentials))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// DigestAuth returns the ids a session gains when it sends an auth packet
// with scheme "digest" and the given credentials: the digest id, preceded
// by SuperID when the digest equals superDigest (the server's configured
// "super:<digest>" value; empty disables the superuser). This is
// DigestAuthenticationProvider.handleAuthentication.
func DigestAuth(credentials, superDigest string) []wire.ID {
	d := DigestID(credentials)
	if superDigest != "" && d == superDigest {
		return []wire.ID{SuperID, {Scheme: "digest", ID: d}}
	}
	return []wire.ID{{Scheme: "digest", ID: d}}
}

// IPAuth returns the id ZooKeeper gives every connection from host (an
// IPv4 or IPv6 address in text form): ip:<host>.
func IPAuth(host string) wire.ID { return wire.ID{Scheme: "ip", ID: host} }

// javaSplit emulates Java's String.split(sep) with no limit: trailing empty
// strings are dropped.
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	if s == "" {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt emulates Integer.parseInt for ASCII decimal input.
func javaParseInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	digits := s
	if s[0] == '+' || s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return v, true
}

// ipv4Bytes parses a dotted quad as IPAuthenticationProvider.v4addr2Bytes.
func ipv4Bytes(addr string) ([]byte, bool) {
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return nil, false
	}
	b := make([]byte, 4)
	for i, p := range parts {
		v, ok := javaParseInt(p)
		if !ok || v < 0 || v > 255 {
			return nil, false
		}
		b[i] = byte(v)
	}
	return b, true
}

func maskBits(b []byte, bits int) {
	start := bits / 8
	m := ^byte((1 << (8 - bits%8)) - 1)
	for ; start < len(b); start++ {
		b[start] &= m
		m = 0
	}
}

// ipExpr parses an ip ACL expression "a.b.c.d" or "a.b.c.d/bits".
func ipExpr(expr string) (addr []byte, bits int, ok bool) {
	host, mask, hasMask := strings.Cut(expr, "/")
	addr, ok = ipv4Bytes(host)
	if !ok {
		return nil, 0, false
	}
	bits = 32
	if hasMask {
		v, ok := javaParseInt(mask)
		if !ok || v < 0 || v > 32 {
			return nil, 0, false
		}
		bits = int(v)
	}
	return addr, bits, true
}

// ipMatches reports whether the client address id matches the ip ACL
// expression, with an optional CIDR prefix length (IPv4 only, as
// ZooKeeper 3.8).
func ipMatches(id, expr string) bool {
	acl, bits, ok := ipExpr(expr)
	if !ok {
		return false
	}
	remote, ok := ipv4Bytes(id)
	if !ok {
		return false
	}
	maskBits(acl, bits)
	maskBits(remote, bits)
	return string(acl) == string(remote)
}

// validACLID reports whether a (non-world, non-auth) ACL id is well formed
// for its scheme; unknown schemes are invalid, as ZooKeeper has no provider
// for them.
func validACLID(id wire.ID) bool {
	switch id.Scheme {
	case "digest":
		return len(javaSplit(id.ID, ":")) == 2
	case "ip":
		_, _, ok := ipExpr(id.ID)
		return ok
	}
	return false
}

// authenticatedScheme reports whether ids of this scheme are expanded by
// the "auth" ACL scheme (ServerAuthenticationProvider.isAuthenticated).
func authenticatedScheme(scheme string) bool { return scheme == "digest" }

// FixupACL validates an ACL list of a create or setACL request and expands
// the "auth" scheme into the session's authenticated ids, as ZooKeeper's
// PrepRequestProcessor.fixupACL: duplicates are dropped, an empty list, an
// unknown scheme, a malformed id, or an "auth" entry when the session holds
// no authenticated id is wire.CodeInvalidACL.
func FixupACL(auth []wire.ID, acl []wire.ACL) ([]wire.ACL, error) {
	uniq := make([]wire.ACL, 0, len(acl))
	for _, a := range acl {
		dup := false
		for _, u := range uniq {
			if u == a {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, wire.CodeInvalidACL
	}
	out := make([]wire.ACL, 0, len(uniq))
	for _, a := range uniq {
		switch {
		case a.ID.Scheme == "world" && a.ID.ID == "anyone":
			out = append(out, a)
		case a.ID.Scheme == "auth":
			found := false
			for _, id := range auth {
				if authenticatedScheme(id.Scheme) {
					found = true
					out = append(out, wire.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !found {
				return nil, wire.CodeInvalidACL
			}
		default:
			if !validACLID(a.ID) {
				return nil, wire.CodeInvalidACL
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// CheckACL reports whether a session holding the ids auth may perform an
// operation needing perm on a node with the given ACL, as ZooKeeper's
// ZooKeeperServer.checkACL: an empty ACL and the super id allow everything;
// otherwise an entry with one of the perm bits must match world:anyone or
// one of the session's ids (digest: equal id; ip: address within the
// entry's CIDR). The error is wire.CodeNoAuth.
func CheckACL(acl []wire.ACL, perm int32, auth []wire.ID) error {
	if len(acl) == 0 {
		return nil
	}
	for _, id := range auth {
		if id.Scheme == "super" {
			return nil
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == "world" && a.ID.ID == "anyone" {
			return nil
		}
		for _, id := range auth {
			if id.Scheme != a.ID.Scheme {
				continue
			}
			switch id.Scheme {
			case "digest":
				if id.ID == a.ID.ID {
					return nil
				}
			case "ip":
				if ipMatches(id.ID, a.ID.ID) {
					return nil
				}
			}
		}
	}
	return wire.CodeNoAuth
}

// RedactACL returns acl with the password hash of digest ids replaced by
// "x", as ZooKeeper answers getACL to a session that has READ but not ADMIN.
func RedactACL(acl []wire.ACL) []wire.ACL {
	out := make([]wire.ACL, len(acl))
	for i, a := range acl {
		if a.ID.Scheme == "digest" {
			if user, _, ok := strings.Cut(a.ID.ID, ":"); ok {
				a.ID.ID = user + ":x"
			}
		}
		out[i] = a
	}
	return out
}
