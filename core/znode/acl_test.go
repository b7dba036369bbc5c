package znode

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

func TestDigestIDMatchesZooKeeper(t *testing.T) {
	// Computed by ZooKeeper 3.8's DigestAuthenticationProvider main().
	require.Equal(t, "super:Z1ScfvbCAwxx0qR77LnqkgsO5HA=", DigestID("super:zabkit-super"))
	ids := DigestAuth("super:zabkit-super", "super:Z1ScfvbCAwxx0qR77LnqkgsO5HA=")
	require.Equal(t, []wire.ID{SuperID, {Scheme: "digest", ID: "super:Z1ScfvbCAwxx0qR77LnqkgsO5HA="}}, ids)
	require.Len(t, DigestAuth("super:wrong", "super:Z1ScfvbCAwxx0qR77LnqkgsO5HA="), 1)
	require.Len(t, DigestAuth("super:zabkit-super", ""), 1, "no superuser configured")
	// Without a colon the whole string is the user.
	require.Equal(t, "bob:", DigestID("bob")[:4])
}

func TestIPMatchesCIDR(t *testing.T) {
	cases := []struct {
		id, expr string
		want     bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.2", false},
		{"127.0.0.1", "127.0.0.0/8", true},
		{"127.0.0.1", "127.0.0.0/31", true},
		{"127.0.0.1", "127.0.0.0/32", false},
		{"10.1.2.3", "10.1.0.0/16", true},
		{"10.2.2.3", "10.1.0.0/16", false},
		{"10.1.2.3", "0.0.0.0/0", true},
		{"10.1.2.3", "10.1.2.3/33", false},
		{"10.1.2.3", "10.1.2/24", false},
		{"::1", "::1", false}, // IPv4 only, as ZooKeeper 3.8
		{"10.1.2.3", "+10.01.2.3", true},
	}
	for _, c := range cases {
		require.Equal(t, c.want, ipMatches(c.id, c.expr), "%s in %s", c.id, c.expr)
	}
}

func TestCheckACL(t *testing.T) {
	alice := wire.ID{Scheme: "digest", ID: DigestID("alice:pw")}
	acl := []wire.ACL{{Perms: wire.PermRead, ID: AnyoneID}, {Perms: wire.PermWrite | wire.PermAdmin, ID: alice}}
	require.NoError(t, CheckACL(acl, wire.PermRead, nil))
	require.ErrorIs(t, CheckACL(acl, wire.PermWrite, nil), wire.CodeNoAuth)
	require.NoError(t, CheckACL(acl, wire.PermWrite, []wire.ID{alice}))
	require.ErrorIs(t, CheckACL(acl, wire.PermDelete, []wire.ID{alice}), wire.CodeNoAuth)
	require.NoError(t, CheckACL(acl, wire.PermDelete, []wire.ID{SuperID}))
	require.NoError(t, CheckACL(nil, wire.PermAll, nil), "an empty ACL allows everything")
}

func TestFixupACL(t *testing.T) {
	alice := wire.ID{Scheme: "digest", ID: DigestID("alice:pw")}
	got, err := FixupACL([]wire.ID{IPAuth("1.2.3.4"), alice, SuperID}, []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "auth"}}})
	require.NoError(t, err)
	require.Equal(t, []wire.ACL{{Perms: wire.PermAll, ID: alice}}, got, "auth expands to authenticated (digest) ids only")
	_, err = FixupACL([]wire.ID{IPAuth("1.2.3.4")}, CreatorAllACL)
	require.ErrorIs(t, err, wire.CodeInvalidACL)
	_, err = FixupACL(nil, nil)
	require.ErrorIs(t, err, wire.CodeInvalidACL)
	got, err = FixupACL(nil, append(OpenACLUnsafe, OpenACLUnsafe...))
	require.NoError(t, err)
	require.Equal(t, OpenACLUnsafe, got, "duplicates dropped")
}

func TestRedactACL(t *testing.T) {
	acl := []wire.ACL{{Perms: 1, ID: wire.ID{Scheme: "digest", ID: "alice:abc="}}, {Perms: 1, ID: AnyoneID}}
	require.Equal(t, "alice:x", RedactACL(acl)[0].ID.ID)
	require.Equal(t, "alice:abc=", acl[0].ID.ID, "input untouched")
	require.Equal(t, AnyoneID, RedactACL(acl)[1].ID)
}
