package conformance

import (
	"fmt"
	"strings"
	"testing"
)

// Empty data is not null: ZooKeeper keeps a znode's byte[0] and null data
// apart. getData answers length 0 for a node created or set with empty
// data and length -1 (null) for one created or set with null data, in
// every create flavour, in setData, inside a multi and in a multiRead's
// results, on every server; stat.dataLength is 0 for both. The reserved
// nodes (/, /zookeeper, /zookeeper/quota) hold empty data. Both drivers
// decode length -1 as a nil slice and 0 as a non-nil empty one.

var dataChecks = []check{
	{name: "empty-vs-null-data", run: checkEmptyVsNullData},
	{name: "empty-vs-null-data-multi", needs: []feature{featMulti}, run: checkEmptyVsNullMulti},
	{name: "empty-vs-null-data-every-server", run: checkEmptyVsNullEveryServer},
}

// wantData checks that the node at p reads back with null (nil) or
// empty (non-nil, zero-length) data and stat.dataLength 0.
func (e *env) wantData(c Client, p string, null bool, how string) {
	e.t.Helper()
	data, s, err := c.Get(e.ctx(), p)
	e.must(err, "get %s", p)
	checkNullData(e.t, fmt.Sprintf("%s: get %s", how, p), data, s, null)
}

func checkNullData(t *testing.T, what string, data []byte, s Stat, null bool) {
	t.Helper()
	switch {
	case len(data) != 0 || s.DataLength != 0:
		t.Errorf("%s: %d bytes, dataLength %d; want none and 0", what, len(data), s.DataLength)
	case null && data != nil:
		t.Errorf("%s: empty data (length 0 on the wire), want null (length -1)", what)
	case !null && data == nil:
		t.Errorf("%s: null data (length -1 on the wire), want empty (length 0)", what)
	}
}

// nullName names the two cases.
func nullName(null bool) string {
	if null {
		return "null"
	}
	return "empty"
}

// dataOf returns the data a node gets in the two cases.
func dataOf(null bool) []byte {
	if null {
		return nil
	}
	return []byte{}
}

func checkEmptyVsNullData(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	modes := []Mode{ModePersistent, ModeEphemeral, ModePersistentSequential, ModeContainer}
	if why := e.lacks(featTTL); why != "" {
		t.Logf("not checking TTL nodes: %s", why)
	} else {
		modes = append(modes, ModeTTL)
	}
	for _, m := range modes {
		for _, null := range []bool{true, false} {
			p, err := c.Create(ctx, e.p(fmt.Sprintf("mode%d-%s", m, nullName(null))), dataOf(null), m, OpenACL, ttlForever)
			e.must(err, "create mode %d with %s data", m, nullName(null))
			e.wantData(c, p, null, fmt.Sprintf("created (mode %d) with %s data", m, nullName(null)))
		}
	}
	if cc, ok := c.(creator2); ok {
		for _, null := range []bool{true, false} {
			p, s, err := cc.Create2(ctx, e.p("create2-"+nullName(null)), dataOf(null), ModePersistent, OpenACL, 0)
			e.must(err, "create2 with %s data", nullName(null))
			if s.DataLength != 0 {
				t.Errorf("create2 with %s data: stat dataLength %d", nullName(null), s.DataLength)
			}
			e.wantData(c, p, null, "create2 with "+nullName(null)+" data")
		}
	}

	// setData to null and to empty, from data, from null and from empty;
	// a data watch's re-read after each change sees the new value.
	for _, from := range []string{"data", "null", "empty"} {
		for _, null := range []bool{true, false} {
			p := e.p("set-" + from + "-to-" + nullName(null))
			var initial []byte
			switch from {
			case "data":
				initial = []byte("x")
			case "empty":
				initial = []byte{}
			}
			_, err := c.Create(ctx, p, initial, ModePersistent, OpenACL, 0)
			e.must(err, "create %s", p)
			_, _, w, err := c.GetW(ctx, p)
			e.must(err, "getData with watch %s", p)
			s, err := c.Set(ctx, p, dataOf(null), -1)
			e.must(err, "setData %s to %s", p, nullName(null))
			if s.DataLength != 0 || s.Version != 1 {
				t.Errorf("setData %s to %s: stat %+v, want dataLength 0, version 1", p, nullName(null), s)
			}
			e.next(w, EventDataChanged, p)
			e.wantData(c, p, null, "set from "+from+" to "+nullName(null)+", re-read after the watch fired")
		}
	}

	// The reserved nodes hold empty data (ZooKeeper's DataTree makes them
	// with new byte[0]); /zookeeper/config holds the ensemble's dynamic
	// configuration on a reconfigurable ZooKeeper, so it is left out.
	if strings.Contains(e.servers, "/") {
		t.Logf("not checking the reserved nodes: the connect string has a chroot")
		return
	}
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota"} {
		e.wantData(c, p, false, "reserved node")
	}
}

func checkEmptyVsNullMulti(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	want := map[string]bool{}
	var ops []Op
	for _, null := range []bool{true, false} {
		n := nullName(null)
		ops = append(ops,
			Op{Kind: OpCreate, Path: e.p("create-" + n), Data: dataOf(null), ACL: OpenACL},
			Op{Kind: OpCreate, Path: e.p("set-" + n), Data: []byte("x"), ACL: OpenACL},
			Op{Kind: OpSetData, Path: e.p("set-" + n), Data: dataOf(null), Version: 0},
		)
		want[e.p("create-"+n)], want[e.p("set-"+n)] = null, null
	}
	res, err := c.Multi(ctx, ops...)
	e.must(err, "multi")
	for i, r := range res {
		if r.Code != CodeOK {
			t.Errorf("multi result %d: code %d", i, r.Code)
		}
		if ops[i].Kind == OpSetData && r.Stat != nil && r.Stat.DataLength != 0 {
			t.Errorf("multi setData %s: dataLength %d, want 0", ops[i].Path, r.Stat.DataLength)
		}
	}
	var paths []string
	for p, null := range want {
		e.wantData(c, p, null, "written by a multi")
		paths = append(paths, p)
	}
	if why := e.lacks(featMultiRead); why != "" {
		t.Logf("not checking multiRead: %s", why)
		return
	}
	rs, err := c.(multiReader).MultiRead(ctx, paths, make([]bool, len(paths)))
	e.must(err, "multiRead")
	if len(rs) != len(paths) {
		t.Fatalf("multiRead returned %d results, want %d", len(rs), len(paths))
	}
	for i, r := range rs {
		if r.Code != CodeOK {
			t.Errorf("multiRead %s: code %d", paths[i], r.Code)
			continue
		}
		checkNullData(t, "multiRead "+paths[i], r.Data, r.Stat, want[paths[i]])
	}
}

// checkEmptyVsNullEveryServer writes through one connection and reads
// through each server alone: followers (and observers) serve reads from
// their own replica, which must keep the distinction too.
func checkEmptyVsNullEveryServer(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	want := map[string]bool{}
	for _, null := range []bool{true, false} {
		p := e.create(c, e.p("create-"+nullName(null)), "", ModePersistent)
		if null {
			_, err := c.Set(ctx, p, nil, -1)
			e.must(err, "setData %s to null", p)
		}
		want[p] = null
		p, err := c.Create(ctx, e.p("created-"+nullName(null)), dataOf(null), ModePersistent, OpenACL, 0)
		e.must(err, "create %s", p)
		want[p] = null
	}
	for _, addr := range e.serverList() {
		sc, _ := e.dialServer(addr) // dial syncs; closed at cleanup
		for p, null := range want {
			e.wantData(sc, p, null, "read via "+addr)
		}
	}
}
