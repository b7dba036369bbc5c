package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/storage"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig(1)
	ok.Peers = []Peer{{ID: 1}}
	ok.Store = storage.NewMem()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"id not a peer":     func(c *Config) { c.ID = 2 },
		"no storage":        func(c *Config) { c.Store = nil },
		"min above max":     func(c *Config) { c.MinSessionTimeout, c.MaxSessionTimeout = time.Hour, time.Second },
		"duplicate peer":    func(c *Config) { c.Peers = []Peer{{ID: 1}, {ID: 1}} },
		"only observers":    func(c *Config) { c.Peers = []Peer{{ID: 1, Observer: true}} },
		"no peer addresses": func(c *Config) { c.Peers = []Peer{{ID: 1}, {ID: 2}} },
	} {
		c := ok
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
	}
}

// TestTCPMalformedPeerFrame: garbage on a peer connection closes that
// connection only; the ensemble keeps serving.
func TestTCPMalformedPeerFrame(t *testing.T) {
	tc := newCluster(t, 3, 0, true)
	target := tc.cfgs[0].Peers[0].PeerAddr // server 1 accepts from 2 and 3
	for _, hs := range [][]byte{
		handshake(3), // a valid handshake (a duplicate of 3's connection) ...
		[]byte("\xde\xad\xbe\xefgarbage-garbage"), // ... and a bad one
	} {
		nc, err := net.DialTimeout("tcp", target, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(hs)
		var frame [8]byte
		binary.BigEndian.PutUint32(frame[:4], 4)
		_, _ = nc.Write(frame[:]) // a 4-byte message does not decode
		// The server may send a message or two before it reads the
		// garbage; then it must close the connection (not time out).
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ne net.Error
		if _, err := io.Copy(io.Discard, nc); errors.As(err, &ne) && ne.Timeout() {
			t.Error("server kept a connection that sent garbage")
		}
		_ = nc.Close()
	}
	tc.waitServing()
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/after-garbage", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	tc.waitConverged()
}

// mustCreate creates a persistent node, retrying across connection loss
// (a retried create that finds the node counts as done).
func mustCreate(ctx context.Context, t *testing.T, c *client.Conn, path string) {
	t.Helper()
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, path, nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
}
