package conformance

import "testing"

func TestParseSrvrVersion(t *testing.T) {
	for _, tc := range []struct {
		out        string
		want       string
		checksRead bool
	}{
		{"Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\nLatency min/avg/max: 0/0.0/0\n", "3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC", false},
		{"Zookeeper version: 3.8.3-abc, built on x\n", "3.8.3-abc, built on x", false},
		{"Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on x\n", "3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on x", true},
		{"Zookeeper version: 3.9.1\n", "3.9.1", false},
		{"Zookeeper version: 3.9.2\n", "3.9.2", true},
		{"Zookeeper version: 3.10.0\n", "3.10.0", true},
		{"Zookeeper version: 3.7.2\n", "3.7.2", false},
		{"Zookeeper version: 3.8.0-zabkit\nMode: leader\n", "3.8.0-zabkit", true},
		{"Zookeeper version: 3.8.4-zabkit\n", "3.8.4-zabkit", true},
	} {
		v, err := parseSrvrVersion(tc.out)
		if err != nil {
			t.Errorf("parseSrvrVersion(%q): %v", tc.out, err)
			continue
		}
		if v.String() != tc.want || v.existsChecksRead() != tc.checksRead {
			t.Errorf("parseSrvrVersion(%q) = %s (checks READ %v), want %s (%v)", tc.out, v, v.existsChecksRead(), tc.want, tc.checksRead)
		}
	}
	for _, bad := range []string{"", "srvr is not executed because it is not in the whitelist.\n", "Zookeeper version: unknown\n", "Zookeeper version: 3.8\n"} {
		if v, err := parseSrvrVersion(bad); err == nil {
			t.Errorf("parseSrvrVersion(%q) = %s, want an error", bad, v)
		}
	}
}
