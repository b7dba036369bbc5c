package conformance

import (
	"context"
	"testing"
	"time"
)

// Server-side reaping of containers and TTL nodes. Apache ZooKeeper's leader
// runs a reaper every znode.container.checkIntervalMs; the suite waits for a
// reap on an exists watch (an event, not a timer) bounded by the reap deadline
// (WithReapDeadline), which is an upper bound for a slow machine, not a
// timing assertion.

var reapChecks = []check{
	{name: "container-reaped-when-emptied", run: checkContainerReap},
	{name: "container-reaped-after-ephemeral-session", run: checkContainerEphemeral},
	{name: "ttl-reaped-when-expired", needs: []feature{featTTL}, run: checkTTLReap},
}

func (e *env) reapCtx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.reapDeadline)
	e.t.Cleanup(cancel)
	return ctx
}

func checkContainerReap(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	// never-used: a container that never had a child is not reaped (unless the
	// server sets znode.container.maxNeverUsedIntervalMs, off by default).
	neverUsed, err := c.Create(ctx, e.p("never-used"), nil, ModeContainer, OpenACL, 0)
	e.must(err, "create never-used container")
	full, err := c.Create(ctx, e.p("full"), nil, ModeContainer, OpenACL, 0)
	e.must(err, "create full container")
	e.create(c, full+"/kid", "", ModePersistent)
	used, err := c.Create(ctx, e.p("used"), nil, ModeContainer, OpenACL, 0)
	e.must(err, "create container")
	e.create(c, used+"/kid", "", ModePersistent)
	e.must(c.Delete(ctx, used+"/kid", -1), "delete the container's only child")

	e.must(e.waitGone(e.reapCtx(), c, used), "reap of an emptied container")
	ctx = e.ctx() // the wait may have outlived the first one
	// The reaper pass that removed used also looked at the older containers
	// and kept them: one never had a child, the other still has one.
	for _, p := range []string{neverUsed, full} {
		if ok, _, err := c.Exists(ctx, p); err != nil || !ok {
			t.Errorf("container %s after a reap pass: exists = %v, %v; want kept", p, ok, err)
		}
	}
	// A container may hold children of any mode, and is a normal parent.
	e.create(c, full+"/eph", "", ModeEphemeral)
	if s := e.stat(c, full); s.NumChildren != 2 {
		t.Errorf("container numChildren = %d, want 2", s.NumChildren)
	}
}

// checkContainerEphemeral: the recipes' pattern. A container whose only
// child is an ephemeral node is reaped once the owning session closes.
func checkContainerEphemeral(t *testing.T, e *env) {
	c := e.dial()
	owner := e.dial()
	ctx := e.ctx()
	dir, err := c.Create(ctx, e.p("lock-dir"), nil, ModeContainer, OpenACL, 0)
	e.must(err, "create container")
	e.create(owner, dir+"/lock-", "", ModeEphemeralSequential)
	owner.Close()
	e.must(e.waitGone(e.reapCtx(), c, dir), "reap of a container emptied by a session close")
}

func checkTTLReap(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	const ttl = time.Second
	withKid, err := c.Create(ctx, e.p("ttl-with-child"), nil, ModeTTL, OpenACL, ttl)
	e.must(err, "create TTL node")
	e.create(c, withKid+"/kid", "", ModePersistent)
	lone, err := c.Create(ctx, e.p("ttl-lone"), nil, ModeTTL, OpenACL, ttl)
	e.must(err, "create TTL node")
	seq, err := c.Create(ctx, e.p("ttl-seq-"), nil, ModeTTLSequential, OpenACL, ttl)
	e.must(err, "create sequential TTL node")
	forever, err := c.Create(ctx, e.p("ttl-forever"), nil, ModeTTL, OpenACL, ttlForever)
	e.must(err, "create long-TTL node")

	rctx := e.reapCtx()
	e.must(e.waitGone(rctx, c, lone), "reap of an expired childless TTL node")
	e.must(e.waitGone(rctx, c, seq), "reap of an expired sequential TTL node")
	ctx = e.ctx() // the wait may have outlived the first one
	// withKid expired before lone did but has a child, so it stays;
	// forever has not expired.
	for _, p := range []string{withKid, forever} {
		if ok, _, err := c.Exists(ctx, p); err != nil || !ok {
			t.Errorf("TTL node %s after a reap pass: exists = %v, %v; want kept", p, ok, err)
		}
	}
	// TTL bounds: above the maximum (2^40-1 ms, EphemeralType.TTL.maxValue) is refused.
	_, err = c.Create(ctx, e.p("too-long"), nil, ModeTTL, OpenACL, time.Duration(1<<40)*time.Millisecond)
	e.code(err, CodeBadArguments, "TTL above the maximum")
}
