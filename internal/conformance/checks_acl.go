package conformance

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"testing"
)

// ACLs, digest auth, the auth scheme and the super user.

var aclChecks = []check{
	{name: "acl-world-permissions", run: checkACLWorld},
	{name: "acl-digest-auth", run: checkACLDigest},
	{name: "acl-auth-scheme", run: checkACLAuthScheme},
	{name: "acl-invalid", run: checkACLInvalid},
	{name: "acl-set-get-aversion", run: checkACLVersion},
	{name: "acl-super-digest", run: checkACLSuper},
	{name: "auth-unknown-scheme-fails-session", run: checkAuthFailed},
}

// digestID is the id of a digest ACL for user:password: user:base64(sha1(user:password)).
func digestID(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

func checkACLWorld(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	// A node everyone may only read.
	ro := e.p("read-only")
	_, err := c.Create(ctx, ro, []byte("d"), ModePersistent, []ACL{{PermRead, "world", "anyone"}}, 0)
	e.must(err, "create read-only node")
	if _, _, err := c.Get(ctx, ro); err != nil {
		t.Errorf("get of a world-readable node: %v", err)
	}
	_, err = c.Set(ctx, ro, []byte("x"), -1)
	e.code(err, CodeNoAuth, "set without WRITE")
	_, err = c.Create(ctx, ro+"/kid", nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNoAuth, "create child without CREATE")
	_, err = c.SetACL(ctx, ro, OpenACL, -1)
	e.code(err, CodeNoAuth, "setACL without ADMIN")
	// getACL needs READ or ADMIN.
	if _, _, err := c.GetACL(ctx, ro); err != nil {
		t.Errorf("getACL with READ: %v", err)
	}

	// A node everyone may only write: no reads, not even children or ACL.
	wo := e.p("write-only")
	_, err = c.Create(ctx, wo, []byte("d"), ModePersistent, []ACL{{PermWrite, "world", "anyone"}}, 0)
	e.must(err, "create write-only node")
	_, _, err = c.Get(ctx, wo)
	e.code(err, CodeNoAuth, "get without READ")
	_, _, err = c.Children(ctx, wo)
	e.code(err, CodeNoAuth, "children without READ")
	_, _, err = c.GetACL(ctx, wo)
	e.code(err, CodeNoAuth, "getACL without READ or ADMIN")
	// exists on a node the caller may not READ: Apache ZooKeeper 3.8.4
	// (FinalRequestProcessor) checks READ and answers NoAuth, 3.8.0 to 3.8.3
	// check nothing. zabkit follows 3.8.4, the newer and safer behaviour
	// (exists no longer leaks the Stat of an unreadable node); the backend's
	// version, probed with srvr, decides which answer is expected.
	switch ok, _, err := c.Exists(ctx, wo); {
	case e.backend.versionErr != nil:
		t.Logf("exists without READ = %v, %v (not checked: %v)", ok, err, e.backend.versionErr)
	case e.backend.version.existsChecksRead():
		e.code(err, CodeNoAuth, "exists without READ on %s", e.backend.version)
	case err != nil || !ok:
		t.Errorf("exists needs no permission on %s: %v, %v", e.backend.version, ok, err)
	}
	if _, err := c.Set(ctx, wo, []byte("w"), -1); err != nil {
		t.Errorf("set with WRITE: %v", err)
	}

	// Deleting a child needs DELETE on the parent, not on the child.
	nd := e.p("no-delete")
	_, err = c.Create(ctx, nd, nil, ModePersistent, []ACL{{PermAll &^ PermDelete, "world", "anyone"}}, 0)
	e.must(err, "create no-delete parent")
	_, err = c.Create(ctx, nd+"/kid", nil, ModePersistent, []ACL{{PermRead, "world", "anyone"}}, 0)
	e.must(err, "create child under no-delete parent")
	e.code(c.Delete(ctx, nd+"/kid", -1), CodeNoAuth, "delete child without DELETE on the parent")
	_, err = c.SetACL(ctx, nd, OpenACL, -1)
	e.must(err, "setACL to let cleanup delete")
	e.must(c.Delete(ctx, nd+"/kid", -1), "delete child once the parent allows it")
	open := e.p("open")
	e.create(c, open, "", ModePersistent)
	_, err = c.Create(ctx, open+"/kid", nil, ModePersistent, []ACL{{PermRead, "world", "anyone"}}, 0)
	e.must(err, "create read-only child")
	e.must(c.Delete(ctx, open+"/kid", -1), "delete a read-only child of an open parent")
}

func checkACLDigest(t *testing.T, e *env) {
	owner := e.dial(withAuth("digest", "alice:secret"))
	stranger := e.dial()
	wrong := e.dial(withAuth("digest", "alice:wrong"))
	ctx := e.ctx()

	p := e.p("private")
	acl := []ACL{{PermAll, "digest", digestID("alice", "secret")}}
	_, err := owner.Create(ctx, p, []byte("s"), ModePersistent, acl, 0)
	e.must(err, "create digest-protected node")
	e.sync(stranger)
	e.sync(wrong)
	for name, c := range map[string]Client{"no auth": stranger, "wrong password": wrong} {
		_, _, err := c.Get(ctx, p)
		e.code(err, CodeNoAuth, "get with %s", name)
		_, err = c.Set(ctx, p, []byte("x"), -1)
		e.code(err, CodeNoAuth, "set with %s", name)
	}
	if data, _, err := owner.Get(ctx, p); err != nil || string(data) != "s" {
		t.Errorf("owner get = %q, %v", data, err)
	}
	// Adding the right credentials to an open session grants access.
	e.must(stranger.AddAuth(ctx, "digest", []byte("alice:secret")), "addAuth")
	if _, err := stranger.Set(ctx, p, []byte("y"), -1); err != nil {
		t.Errorf("set after addAuth: %v", err)
	}
	got, _, err := owner.GetACL(ctx, p)
	e.must(err, "getACL")
	if fmt.Sprint(got) != fmt.Sprint(acl) {
		t.Errorf("getACL = %v, want %v", got, acl)
	}
	e.must(owner.Delete(ctx, p, -1), "owner deletes")
}

func checkACLAuthScheme(t *testing.T, e *env) {
	authed := e.dial(withAuth("digest", "bob:pw"))
	anon := e.dial()
	ctx := e.ctx()

	// The auth scheme stands for every identity the session has.
	p := e.p("by-auth")
	_, err := authed.Create(ctx, p, nil, ModePersistent, []ACL{{PermAll, "auth", ""}}, 0)
	e.must(err, "create with auth ACL")
	got, _, err := authed.GetACL(ctx, p)
	e.must(err, "getACL")
	want := []ACL{{PermAll, "digest", digestID("bob", "pw")}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ACL of an auth-scheme create = %v, want %v", got, want)
	}
	e.sync(anon)
	_, _, err = anon.Get(ctx, p)
	e.code(err, CodeNoAuth, "get by another session")

	// A session without any authenticated identity cannot use it.
	_, err = anon.Create(ctx, e.p("anon-auth"), nil, ModePersistent, []ACL{{PermAll, "auth", ""}}, 0)
	e.code(err, CodeInvalidACL, "auth ACL without credentials")
}

func checkACLInvalid(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	for _, tc := range []struct {
		name string
		acl  []ACL
	}{
		{"empty", nil},
		{"unknown scheme", []ACL{{PermAll, "nosuchscheme", "x"}}},
		{"bad ip", []ACL{{PermAll, "ip", "300.1.2.3"}}},
		{"digest without hash", []ACL{{PermAll, "digest", "justauser"}}},
		{"world with other id", []ACL{{PermAll, "world", "someone"}}},
	} {
		_, err := c.Create(ctx, e.p("bad"), nil, ModePersistent, tc.acl, 0)
		e.code(err, CodeInvalidACL, "create with %s ACL", tc.name)
	}
	p := e.create(c, e.p("n"), "", ModePersistent)
	_, err := c.SetACL(ctx, p, nil, -1)
	e.code(err, CodeInvalidACL, "setACL with empty ACL")
	// ip ACLs are valid and grant access to loopback clients.
	_, err = c.Create(ctx, e.p("ip"), nil, ModePersistent, []ACL{{PermAll, "ip", "127.0.0.1"}}, 0)
	e.must(err, "create with ip ACL")
	if _, _, err := c.Get(ctx, e.p("ip")); err != nil {
		t.Errorf("get of an ip-127.0.0.1 node from loopback: %v", err)
	}
}

func checkACLVersion(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "data", ModePersistent)
	before := e.stat(c, p)
	acl := []ACL{{PermRead | PermWrite | PermAdmin | PermDelete, "world", "anyone"}}
	s, err := c.SetACL(ctx, p, acl, 0)
	e.must(err, "setACL")
	if s.Aversion != 1 || s.Version != before.Version || s.Mzxid != before.Mzxid || s.Cversion != before.Cversion {
		t.Errorf("stat after setACL = %+v (before %+v); want aversion 1, data version and mzxid unchanged", s, before)
	}
	_, err = c.SetACL(ctx, p, OpenACL, 0)
	e.code(err, CodeBadVersion, "setACL with stale aversion")
	got, gs, err := c.GetACL(ctx, p)
	e.must(err, "getACL")
	if fmt.Sprint(got) != fmt.Sprint(acl) || gs.Aversion != 1 {
		t.Errorf("getACL = %v aversion %d, want %v aversion 1", got, gs.Aversion, acl)
	}
	// The new ACL is enforced: CREATE was dropped.
	_, err = c.Create(ctx, p+"/kid", nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNoAuth, "create after CREATE was removed")
}

func checkACLSuper(t *testing.T, e *env) {
	if e.opts.superUser == "" {
		t.Skip("no super digest configured (WithSuperDigest / ZABKIT_ZK_SUPER)")
	}
	owner := e.dial(withAuth("digest", "carol:pw"))
	super := e.dial(withAuth("digest", e.opts.superUser+":"+e.opts.superPass))
	ctx := e.ctx()
	p := e.p("carol-only")
	_, err := owner.Create(ctx, p, []byte("c"), ModePersistent, []ACL{{PermAll, "digest", digestID("carol", "pw")}}, 0)
	e.must(err, "create")
	e.sync(super)
	if data, _, err := super.Get(ctx, p); err != nil || string(data) != "c" {
		t.Errorf("super get = %q, %v", data, err)
	}
	if _, err := super.SetACL(ctx, p, OpenACL, -1); err != nil {
		t.Errorf("super setACL: %v", err)
	}
}

// checkAuthFailed adds credentials of a scheme the server has no provider
// for: the server answers AuthFailed and drops the connection, and the
// client's session ends in the AuthFailed state.
func checkAuthFailed(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	n := c.StateCount()
	err := c.AddAuth(ctx, "nosuchscheme", []byte("x"))
	e.code(err, CodeAuthFailed, "addAuth with an unknown scheme")
	if why := e.driver.Lacks(featAuthFailedState); why != "" {
		t.Logf("not checking the session state: %s", why)
		return
	}
	if _, err := c.WaitState(ctx, n, StateAuthFailed); err != nil {
		t.Errorf("session state after a failed addAuth: %v", err)
	}
}
