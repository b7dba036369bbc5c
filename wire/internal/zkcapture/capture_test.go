package zkcapture

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const goldenDir = "../../testdata/golden"

// sortByConn orders frames by connection, keeping the recorded order within
// a connection, so the golden files do not depend on goroutine scheduling
// across connections.
func sortByConn(fs []Frame) []Frame {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Conn < fs[j].Conn })
	return fs
}

func TestCaptureGolden(t *testing.T) {
	target := os.Getenv("WIRE_ZK_CAPTURE")
	if target == "" {
		t.Skip("set WIRE_ZK_CAPTURE=host:port of a ZooKeeper 3.8 server to capture golden frames")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("java", func(t *testing.T) {
		p, err := Listen("127.0.0.1:21811", target)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		cmd := exec.CommandContext(ctx, "java", "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar",
			"Capture.java", target, p.Addr())
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		done := false
		for sc.Scan() {
			switch sc.Text() {
			case "DROP":
				p.Drop()
			case "DONE":
				done = true
			}
		}
		if err := cmd.Wait(); err != nil || !done {
			t.Fatalf("Capture.java failed: %v (done=%v)", err, done)
		}
		p.Close()
		write(t, "java-session.txt", `Apache ZooKeeper 3.8 Java client (Capture.java) <-> ZooKeeper 3.8 server, recorded by
wire/internal/zkcapture. Each conn is one TCP connection of the same session;
the proxy cut conn 1 and 2 to make the client reconnect (SetWatches, SetWatches2).
"> " client to server, "< " server to client; frame payloads without length prefix.`, sortByConn(p.Frames()))
	})

	t.Run("go-zookeeper", func(t *testing.T) {
		p, err := Listen("127.0.0.1:21812", target)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		c, events, err := zk.Connect([]string{p.Addr()}, 4*time.Second, zk.WithLogInfo(false))
		if err != nil {
			t.Fatal(err)
		}
		for ev := range events {
			if ev.State == zk.StateHasSession {
				break
			}
		}
		if _, err := c.Create("/golden-gozk", []byte("go"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get("/golden-gozk"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Multi(
			&zk.CreateRequest{Path: "/golden-gozk/m", Data: []byte("m"), Acl: zk.WorldACL(zk.PermAll)},
			&zk.SetDataRequest{Path: "/golden-gozk", Data: []byte("go2"), Version: -1},
			&zk.CheckVersionRequest{Path: "/golden-gozk", Version: 1},
			&zk.DeleteRequest{Path: "/golden-gozk/m", Version: -1},
		); err != nil {
			t.Fatal(err)
		}
		_, _, watch, err := c.GetW("/golden-gozk")
		if err != nil {
			t.Fatal(err)
		}
		// Cut the connection: go-zookeeper reconnects and re-registers the
		// data watch with SetWatches.
		p.Drop()
		for ev := range events {
			if ev.State == zk.StateHasSession {
				break
			}
		}
		if _, err := c.Set("/golden-gozk", []byte("go3"), -1); err != nil {
			t.Fatal(err)
		}
		if ev := <-watch; ev.Type != zk.EventNodeDataChanged {
			t.Fatalf("watch event %+v", ev)
		}
		if err := c.Delete("/golden-gozk", -1); err != nil {
			t.Fatal(err)
		}
		c.Close()
		for range events { // drained until go-zookeeper closes it
		}
		p.Close()
		write(t, "gozk-session.txt", `go-zookeeper v1.0.4 client <-> ZooKeeper 3.8 server, recorded by wire/internal/zkcapture.
go-zookeeper sends the 44-byte ConnectRequest (no readOnly byte); the server answers without it.
The proxy cut conn 1 to make the client reconnect and send SetWatches.
"> " client to server, "< " server to client; frame payloads without length prefix.`, sortByConn(p.Frames()))
	})
}

func write(t *testing.T, name, comment string, frames []Frame) {
	t.Helper()
	if len(frames) == 0 {
		t.Fatalf("%s: no frames recorded", name)
	}
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(goldenDir, name)
	if err := os.WriteFile(path, []byte(Format(comment, frames)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d frames to %s", len(frames), path)
}
