package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/wire"
)

// TestGlobalOutstandingLimitThrottlesAcrossConnections: three
// connections pipeline 8 requests each (their own limit is 8, so only the
// global limit of 6 can hold them back) while the server's fsync is
// blocked, so that no write completes. Exactly 6 requests get in, the
// other readers wait (throttled, counted in mntr), and once the fsync is
// released every request is answered, OK and in order per connection.
func TestGlobalOutstandingLimitThrottlesAcrossConnections(t *testing.T) {
	const (
		conns   = 3
		perConn = 8
		global  = 6
	)
	ev := &server.EventLog{}
	var gate *server.SyncGateStore
	e := single(t, withConfig(func(c *server.Config) {
		gate = server.NewSyncGateStore(c.ID, ev, c.Store)
		c.Store = gate
		c.MaxOutstanding, c.MaxOutstandingGlobal = perConn, global
	}))
	t.Cleanup(gate.Open) // before the ensemble's cleanup
	s := e.Server(0)
	var rs []*server.RawConn
	for range conns {
		r, _ := server.NewRawSession(t, s.ClientAddr())
		rs = append(rs, r)
	}
	before := s.Stats().Throttled

	gate.Arm()
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	for ci, r := range rs {
		var out []byte
		for i := int32(1); i <= perConn; i++ {
			p := fmt.Sprintf("/g%d-%d", ci, (i+1)/2)
			if i%2 == 1 {
				out = wire.AppendFrame(out, &wire.RequestHeader{Xid: i, Op: wire.OpCreate},
					&wire.CreateRequest{Path: p, ACL: open})
			} else {
				out = wire.AppendFrame(out, &wire.RequestHeader{Xid: i, Op: wire.OpExists}, &wire.ExistsRequest{Path: p})
			}
		}
		if _, err := r.Conn().Write(out); err != nil {
			t.Fatal(err)
		}
	}
	gate.WaitBlocked(t)
	waitFor(t, 30*time.Second, "the global budget exhausted and a reader throttled", func() bool {
		st := s.Stats()
		return st.Outstanding >= global && st.Throttled > before
	})
	if st := s.Stats(); st.Outstanding != global {
		t.Fatalf("%d requests outstanding with MaxOutstandingGlobal %d", st.Outstanding, global)
	}
	if m := server.FourLetter(t, s.ClientAddr(), "mntr"); !strings.Contains(m, fmt.Sprintf("zk_outstanding_requests\t%d\n", global)) ||
		strings.Contains(m, "zk_throttled_ops\t0\n") {
		t.Fatalf("mntr while throttled:\n%s", m)
	}

	gate.Open()
	for ci, r := range rs {
		for i := int32(1); i <= perConn; i++ {
			f, err := wire.ReadFrame(r.Conn(), nil, 0)
			if err != nil {
				t.Fatalf("connection %d, reply %d: %v", ci, i, err)
			}
			var h wire.ReplyHeader
			if _, err := wire.UnmarshalPrefix(f, &h); err != nil {
				t.Fatal(err)
			}
			if h.Xid != i || h.Err != wire.CodeOK {
				t.Fatalf("connection %d, reply %d: xid %d err %v; want in order and OK", ci, i, h.Xid, h.Err)
			}
		}
	}
	if st := s.Stats(); st.Outstanding != 0 {
		t.Fatalf("%d requests still outstanding after every reply", st.Outstanding)
	}
}
