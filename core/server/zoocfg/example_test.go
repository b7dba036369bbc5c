package zoocfg_test

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/zabkit/zabkit/core/server/zoocfg"
)

// Parse a standalone zoo.cfg from a string and turn it into the server's
// configuration.
func ExampleParse() {
	cfg, err := zoocfg.Parse("zoo.cfg", strings.NewReader(`# a standalone server
tickTime=2000
dataDir=/nonexistent/zoocfg-example
clientPort=2181
admin.serverPort=8080
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("standalone:", cfg.Standalone, "client address:", cfg.ClientAddr, "tick:", cfg.TickTime)
	for _, k := range cfg.Ignored {
		fmt.Printf("ignored %s (line %d)\n", k.Key, k.Line)
	}
	sc, err := cfg.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("server", sc.ID, "in", sc.Dir, "sessions", sc.MinSessionTimeout, "to", sc.MaxSessionTimeout)
	// Output:
	// standalone: true client address: :2181 tick: 2s
	// ignored admin.serverPort (line 5)
	// server 1 in /nonexistent/zoocfg-example/zabkit sessions 4s to 40s
}

// A mistake names the file, the line and the key.
func ExampleParse_error() {
	_, err := zoocfg.Parse("zoo.cfg", strings.NewReader("tickTime=2000\ndataDir=/d\nclientPort=70000\n"))
	fmt.Println(err)
	// Output:
	// zoo.cfg:3: clientPort: 70000 is not a port
}

// Parse one server of a three-server ensemble, its myid given from memory
// instead of read from dataDir.
func ExampleParseWith() {
	files := map[string]string{"/var/lib/zk/myid": "2\n"}
	readFile := func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	cfg, err := zoocfg.ParseWith("zoo.cfg", strings.NewReader(`tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zk
clientPort=2181
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888:observer
`), readFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("myid:", cfg.MyID, "observer:", cfg.Observer)
	for _, s := range cfg.Servers {
		fmt.Println(s.ID, s.QuorumAddr(), s.Observer)
	}
	// Output:
	// myid: 2 observer: false
	// 1 zk1:2888 false
	// 2 zk2:2888 false
	// 3 zk3:2888 true
}
