package zoocfg

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig feeds arbitrary files to the zoo.cfg parser: it returns a
// config or a *Error, never panics.
func FuzzParseConfig(f *testing.F) {
	for _, p := range []string{"testdata/zoo_sample.cfg", "testdata/debian_conf_example_zoo.cfg"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b), "1")
		}
	}
	f.Add(threeServers, "2")
	f.Add("tickTime=1\ndataDir=/d\nclientPort=1\nserver.1=[::1]:1:2;[::1]:3\nserver.2=h:1:2:observer;4\n", "1")
	f.Add("a\\\n b=\\u00e9\\\n", "x")
	f.Fuzz(func(t *testing.T, file, myid string) {
		files := map[string]string{"/d/myid": myid, "/var/lib/zk/myid": myid}
		c, err := ParseWith("zoo.cfg", strings.NewReader(file), fakeFiles(files))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		if c.TickTime <= 0 || c.DataDir == "" || c.ClientAddr == "" {
			t.Fatalf("accepted an incomplete config: %+v", c)
		}
	})
}
