package zoocfg

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeFiles serves myid and dynamic config files from a map, so the table
// does not depend on what is under /tmp on the machine.
func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
}

const threeServers = `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zk
clientPort=2181
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		files map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "standalone minimal",
			file: "tickTime=2000\ndataDir=/data\nclientPort=2181\n",
			check: func(t *testing.T, c *Config) {
				assert.True(t, c.Standalone)
				assert.Equal(t, 2*time.Second, c.TickTime)
				assert.Equal(t, "/data", c.DataDir)
				assert.Equal(t, "/data", c.DataLogDir, "dataLogDir defaults to dataDir")
				assert.Equal(t, ":2181", c.ClientAddr)
				assert.Equal(t, 4*time.Second, c.MinSessionTimeout, "2 ticks")
				assert.Equal(t, 40*time.Second, c.MaxSessionTimeout, "20 ticks")
				assert.Equal(t, 60, c.MaxClientCnxns)
				assert.Equal(t, 100000, c.SnapCount)
				assert.Equal(t, 3, c.SnapRetainCount)
				assert.Zero(t, c.PurgeInterval)
				assert.Nil(t, c.FourLetterWhitelist)
				assert.Empty(t, c.MetricsAddr)
				assert.Zero(t, c.MyID)
				assert.Empty(t, c.Ignored)
			},
		},
		{
			name: "every key",
			file: `# comment
! also a comment
tickTime = 500
initLimit : 7
syncLimit 3
dataDir=/d
dataLogDir=/l
clientPortAddress=127.0.0.1
clientPort=12181
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=9000
snapCount=5000
autopurge.snapRetainCount=5
autopurge.purgeInterval=2
peerType=participant
4lw.commands.whitelist=srvr, ruok ,mntr,
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
jute.maxbuffer=2097152
globalOutstandingLimit=500
extendedTypesEnabled=true
electionAlg=3
standaloneEnabled=true
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpHost=127.0.0.1
metricsProvider.httpPort=17000
server.1=127.0.0.1:12888:13888;127.0.0.1:12181
server.2=127.0.0.1:22888:23888:participant;127.0.0.1:22181
server.3=127.0.0.1:32888:33888:observer;32181
`,
			files: map[string]string{"/d/myid": "1\n"},
			check: func(t *testing.T, c *Config) {
				assert.False(t, c.Standalone)
				assert.Equal(t, 500*time.Millisecond, c.TickTime)
				assert.Equal(t, 7, c.InitLimit)
				assert.Equal(t, 3, c.SyncLimit)
				assert.Equal(t, "/l", c.DataLogDir)
				assert.Equal(t, "127.0.0.1:12181", c.ClientAddr)
				assert.Zero(t, c.MaxClientCnxns)
				assert.Equal(t, time.Second, c.MinSessionTimeout)
				assert.Equal(t, 9*time.Second, c.MaxSessionTimeout)
				assert.Equal(t, 5000, c.SnapCount)
				assert.Equal(t, 5, c.SnapRetainCount)
				assert.Equal(t, 2*time.Hour, c.PurgeInterval)
				assert.Equal(t, []string{"srvr", "ruok", "mntr"}, c.FourLetterWhitelist)
				assert.Equal(t, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=", c.SuperDigest)
				assert.Equal(t, 2097152, c.MaxPacket)
				assert.Equal(t, 500, c.MaxOutstandingGlobal)
				assert.True(t, c.ExtendedTypes)
				assert.Equal(t, "127.0.0.1:17000", c.MetricsAddr)
				assert.Equal(t, int64(1), c.MyID)
				assert.False(t, c.Observer)
				require.Len(t, c.Servers, 3)
				assert.Equal(t, Server{ID: 2, Host: "127.0.0.1", QuorumPort: 22888, ElectionPort: 23888,
					ClientAddr: "127.0.0.1:22181", Line: 28}, c.Servers[1])
				assert.True(t, c.Servers[2].Observer)
				assert.Equal(t, ":32181", c.Servers[2].ClientAddr)
				assert.Empty(t, c.Ignored)
				assert.Empty(t, c.Warnings)
			},
		},
		{
			name:  "quorum from server lines and myid",
			file:  threeServers,
			files: map[string]string{"/var/lib/zk/myid": "2"},
			check: func(t *testing.T, c *Config) {
				assert.False(t, c.Standalone)
				assert.Equal(t, int64(2), c.MyID)
				assert.Equal(t, ":2181", c.ClientAddr)
				require.Len(t, c.Servers, 3)
				assert.Equal(t, "zk3:2888", c.Servers[2].QuorumAddr())
				assert.Equal(t, "zk3:3888", c.Servers[2].ElectionAddr())
			},
		},
		{
			name:  "observer from the server list",
			file:  threeServers + "server.4=zk4:2888:3888:observer\npeerType=observer\n",
			files: map[string]string{"/var/lib/zk/myid": "4\n"},
			check: func(t *testing.T, c *Config) {
				assert.True(t, c.Observer)
				assert.Empty(t, c.Warnings)
			},
		},
		{
			name:  "peerType disagreeing with the list warns, list wins",
			file:  threeServers + "peerType=observer\n",
			files: map[string]string{"/var/lib/zk/myid": "1"},
			check: func(t *testing.T, c *Config) {
				assert.False(t, c.Observer)
				require.Len(t, c.Warnings, 1)
				assert.Contains(t, c.Warnings[0], "peerType")
			},
		},
		{
			name: "ipv6 hosts",
			file: "tickTime=100\ninitLimit=5\nsyncLimit=2\ndataDir=/d\n" +
				"server.1=[::1]:2888:3888;[::1]:2181\nserver.2=[::1]:2889:3889;2182\n",
			files: map[string]string{"/d/myid": "1"},
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, "::1", c.Servers[0].Host)
				assert.Equal(t, "[::1]:2888", c.Servers[0].QuorumAddr())
				assert.Equal(t, "[::1]:2181", c.ClientAddr)
			},
		},
		{
			name:  "one server line runs standalone, as ZooKeeper with standaloneEnabled",
			file:  "tickTime=2000\ndataDir=/d\nclientPort=2181\nserver.1=localhost:2888:3888\n",
			files: map[string]string{"/d/myid": "1"},
			check: func(t *testing.T, c *Config) {
				assert.True(t, c.Standalone)
				assert.Len(t, c.Warnings, 1)
			},
		},
		{
			name:  "one server line with standaloneEnabled=false is a quorum of one",
			file:  "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\nstandaloneEnabled=false\nserver.1=localhost:2888:3888\n",
			files: map[string]string{"/d/myid": "1"},
			check: func(t *testing.T, c *Config) {
				assert.False(t, c.Standalone)
				assert.Len(t, c.Servers, 1)
			},
		},
		{
			name: "unknown and unsupported keys are ignored, listed once",
			file: "tickTime=2000\ndataDir=/d\nclientPort=2181\nadmin.serverPort=8080\nadmin.enableServer=false\n" +
				"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\nsomething.new=1\n" +
				"secureClientPort=2281\nmetricsProvider.exportJvmInfo=true\nsomething.new=2\n",
			check: func(t *testing.T, c *Config) {
				var keys []string
				for _, k := range c.Ignored {
					keys = append(keys, k.Key)
					assert.NotEmpty(t, k.Reason)
				}
				assert.Equal(t, []string{"admin.serverPort", "admin.enableServer", "authProvider.1",
					"secureClientPort", "metricsProvider.exportJvmInfo", "something.new"}, keys)
				require.Len(t, c.Warnings, 1, "the duplicate key")
				assert.Contains(t, c.Warnings[0], "something.new")
				assert.Empty(t, c.MetricsAddr, "exportJvmInfo alone enables nothing")
			},
		},
		{
			name: "duplicate key: the last wins",
			file: "tickTime=1000\ndataDir=/d\nclientPort=2181\ntickTime=3000\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, 3*time.Second, c.TickTime)
				require.Len(t, c.Warnings, 1)
				assert.Contains(t, c.Warnings[0], ":4: tickTime also set on line 1")
			},
		},
		{
			name: "snapRetainCount below 3 is raised to 3",
			file: "tickTime=1000\ndataDir=/d\nclientPort=2181\nautopurge.snapRetainCount=1\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, 3, c.SnapRetainCount)
				assert.Len(t, c.Warnings, 1)
			},
		},
		{
			name: "metrics port alone uses the default host",
			file: "tickTime=1000\ndataDir=/d\nclientPort=2181\nmetricsProvider.httpPort=7001\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, "0.0.0.0:7001", c.MetricsAddr)
			},
		},
		{
			name: "escapes and continuation lines",
			file: "tickTime=1000\ndataDir=/a\\\n   /b\\ c\nclientPort=2181\n4lw.commands.whitelist=\\u0073rvr\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, "/a/b c", c.DataDir)
				assert.Equal(t, []string{"srvr"}, c.FourLetterWhitelist)
			},
		},
		{
			name: "dynamic config file",
			file: "tickTime=1000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\ndynamicConfigFile=/conf/zoo.cfg.dynamic.100000000\n",
			files: map[string]string{
				"/d/myid": "3",
				"/conf/zoo.cfg.dynamic.100000000": "server.1=h1:2888:3888:participant;2181\n" +
					"server.2=h2:2888:3888:participant;2181\nserver.3=h3:2888:3888:participant;0.0.0.0:2181\n",
			},
			check: func(t *testing.T, c *Config) {
				assert.False(t, c.Standalone)
				assert.Len(t, c.Servers, 3)
				assert.Equal(t, ":2181", c.ClientAddr)
			},
		},
		{
			name: "CRLF line endings",
			file: "tickTime=1000\r\ndataDir=/d\r\nclientPort=2181\r\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, "/d", c.DataDir)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWith("zoo.cfg", strings.NewReader(tt.file), fakeFiles(tt.files))
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// TestParseConfigErrors checks that every mistake is refused with a message
// naming the file, the line when there is one, and the key.
func TestParseConfigErrors(t *testing.T) {
	base := "tickTime=2000\ndataDir=/d\nclientPort=2181\n"
	quorum := "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\n"
	myid1 := map[string]string{"/d/myid": "1"}
	tests := []struct {
		name  string
		file  string
		files map[string]string
		want  string
	}{
		{"no tickTime", "dataDir=/d\nclientPort=2181\n", nil, "zoo.cfg: tickTime: not set"},
		{"no dataDir", "tickTime=2000\nclientPort=2181\n", nil, "zoo.cfg: dataDir: not set"},
		{"no client port", "tickTime=2000\ndataDir=/d\n", nil, "zoo.cfg: clientPort: not set"},
		{"tickTime not a number", "tickTime=2s\ndataDir=/d\n", nil, `zoo.cfg:1: tickTime: "2s" is not an integer`},
		{"tickTime zero", "dataDir=/d\ntickTime=0\n", nil, "zoo.cfg:2: tickTime: 0 is less than 1"},
		{"negative maxClientCnxns", base + "maxClientCnxns=-1\n", nil, "zoo.cfg:4: maxClientCnxns: -1 is less than 0"},
		{"client port out of range", "tickTime=2000\ndataDir=/d\nclientPort=70000\n", nil, "zoo.cfg:3: clientPort: 70000 is not a port"},
		{"min above max session timeout", base + "minSessionTimeout=5000\nmaxSessionTimeout=4000\n", nil,
			"zoo.cfg: minSessionTimeout: 5000 is larger than maxSessionTimeout 4000"},
		{"bad boolean", base + "standaloneEnabled=yes\n", nil, `zoo.cfg:4: standaloneEnabled: "yes" is not true or false`},
		{"bad peerType", base + "peerType=voter\n", nil, `zoo.cfg:4: peerType: "voter" is neither observer nor participant`},
		{"electionAlg other than 3", base + "electionAlg=0\n", nil, "zoo.cfg:4: electionAlg: only 3"},
		{"clientPortAddress without clientPort", "tickTime=2000\ndataDir=/d\nclientPortAddress=127.0.0.1\n", nil,
			"zoo.cfg:3: clientPortAddress: set but clientPort is not"},
		{"server line too short", quorum + "server.1=h1:2888\nserver.2=h2:2888:3888\n", myid1, "zoo.cfg:6: server.1: \"h1:2888\": want host:quorumPort"},
		{"server line bad port", quorum + "server.1=h1:2888:x\nserver.2=h2:2888:3888\n", myid1, "zoo.cfg:6: server.1: election port: \"x\" is not a port"},
		{"server line same ports", quorum + "server.1=h1:2888:2888\n", myid1, "zoo.cfg:6: server.1: the quorum and election ports must differ"},
		{"server line bad type", quorum + "server.1=h1:2888:3888:leader\n", myid1, `zoo.cfg:6: server.1: "leader" is neither participant nor observer`},
		{"server line bad id", quorum + "server.x=h1:2888:3888\n", myid1, "zoo.cfg:6: server.x: the server id must be a positive integer"},
		{"server line zero id", quorum + "server.0=h1:2888:3888\n", myid1, "zoo.cfg:6: server.0: the server id must be a positive integer"},
		{"server id too large", quorum + "server.255=h1:2888:3888\n", myid1, "zoo.cfg:6: server.255: server ids go from 1 to 254"},
		{"server line multi address", quorum + "server.1=h1:2888:3888|h9:2888:3888\n", myid1, "zoo.cfg:6: server.1: multiple addresses"},
		{"server line bad client part", quorum + "server.1=h1:2888:3888;a:b:2181\nserver.2=h2:2888:3888\n", myid1,
			"zoo.cfg:6: server.1: client address"},
		{"server line empty host", quorum + "server.1=:2888:3888\n", myid1, "zoo.cfg:6: server.1: \":2888:3888\": empty host"},
		{"server line unclosed bracket", quorum + "server.1=[::1:2888:3888\n", myid1, "zoo.cfg:6: server.1:"},
		{"same address twice", quorum + "server.1=h1:2888:3888\nserver.2=h1:2888:3889\n", myid1,
			"zoo.cfg:7: server.2: address h1:2888 is also used by server.1"},
		{"no initLimit in a quorum", "tickTime=2000\nsyncLimit=2\ndataDir=/d\nclientPort=2181\n" +
			"server.1=h1:2888:3888\nserver.2=h2:2888:3888\n", myid1, "zoo.cfg: initLimit: not set"},
		{"no syncLimit in a quorum", "tickTime=2000\ninitLimit=2\ndataDir=/d\nclientPort=2181\n" +
			"server.1=h1:2888:3888\nserver.2=h2:2888:3888\n", myid1, "zoo.cfg: syncLimit: not set"},
		{"no myid in a quorum", quorum + "server.1=h1:2888:3888\nserver.2=h2:2888:3888\n", nil,
			"zoo.cfg: myid: file /d/myid is missing"},
		{"myid not a number", quorum + "server.1=h1:2888:3888\nserver.2=h2:2888:3888\n",
			map[string]string{"/d/myid": "replace this text with the cluster-unique zookeeper's instance id (1-255)"},
			"zoo.cfg: myid: /d/myid: \"replace this text"},
		{"myid too large", quorum + "server.1=h1:2888:3888\nserver.2=h2:2888:3888\n",
			map[string]string{"/d/myid": "300"}, "zoo.cfg: myid: /d/myid: \"300\" is not a server id (1 to 254)"},
		{"myid not in the list", quorum + "server.1=h1:2888:3888\nserver.2=h2:2888:3888\n",
			map[string]string{"/d/myid": "7"}, "zoo.cfg: myid: /d/myid says 7, but there is no server.7 line"},
		{"observers only", quorum + "server.1=h1:2888:3888:observer\n", myid1, "zoo.cfg: server.N: observers without participants"},
		{"observer without quorum", quorum + "server.1=h1:2888:3888\nserver.2=h2:2888:3888:observer\n", myid1,
			"zoo.cfg: server.N: observers without a quorum"},
		{"client port disagrees with server line", quorum + "server.1=h1:2888:3888;2182\nserver.2=h2:2888:3888\n", myid1,
			"zoo.cfg:5: clientPort: :2181 differs from server.1's client address :2182"},
		{"hierarchical quorums", quorum + "group.1=1:2:3\n", myid1, "zoo.cfg:6: group.1: hierarchical quorums are not supported"},
		{"server lines beside a dynamic file", quorum + "server.1=h1:2888:3888\ndynamicConfigFile=/x\n", myid1,
			"zoo.cfg:6: server.1: must be in the dynamic config file /x"},
		{"missing dynamic file", quorum + "dynamicConfigFile=/x\n", myid1, "zoo.cfg:6: dynamicConfigFile: open /x"},
		{"dynamic file with other keys", quorum + "dynamicConfigFile=/x\n",
			map[string]string{"/d/myid": "1", "/x": "tickTime=5\n"}, "/x:1: tickTime: a dynamic config file holds only server.N lines"},
		{"bad super digest", base + "DigestAuthenticationProvider.superDigest=nocolon\n", nil,
			"zoo.cfg:4: DigestAuthenticationProvider.superDigest:"},
		{"bad unicode escape", base + "dataLogDir=\\u12\n", nil, "zoo.cfg: line 4: dataLogDir: malformed \\u escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith("zoo.cfg", strings.NewReader(tt.file), fakeFiles(tt.files))
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalid), "errors.Is(err, ErrInvalid): %v", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestParseSampleConfigs parses the sample files that ship with Apache
// ZooKeeper (conf/zoo_sample.cfg) and Debian (/etc/zookeeper/conf_example),
// unchanged: scripts written for them must start zabkit.
func TestParseSampleConfigs(t *testing.T) {
	paths := []string{"testdata/zoo_sample.cfg", "testdata/debian_conf_example_zoo.cfg"}
	for _, sys := range []string{"/etc/zookeeper/conf_example/zoo.cfg", "/etc/zookeeper/conf/zoo.cfg"} {
		if _, err := os.Stat(sys); err == nil {
			paths = append(paths, sys)
		}
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			c, err := ParseWith(path, strings.NewReader(string(data)), fakeFiles(nil))
			require.NoError(t, err)
			assert.True(t, c.Standalone)
			assert.Equal(t, 2*time.Second, c.TickTime)
			assert.Equal(t, 10, c.InitLimit)
			assert.Equal(t, 5, c.SyncLimit)
			assert.Equal(t, "/tmp/zookeeper", c.DataDir)
			assert.Equal(t, ":2181", c.ClientAddr)
			assert.Equal(t, 60, c.MaxClientCnxns)
			assert.Empty(t, c.MetricsAddr, "the metrics lines are commented out")
			assert.Empty(t, c.Ignored)
		})
	}
}

// TestReadProperties checks the Java properties line format.
func TestReadProperties(t *testing.T) {
	in := "a=1\n  b : 2 \nc 3\nd\ne=\\\n  x\\\n y\nf=\\\\\ng\\=h=i\n# x=y\n  ! z\n\\u0041=\\t\nlast=trailing\\"
	props, err := readProperties(strings.NewReader(in))
	require.NoError(t, err)
	got := map[string]string{}
	lines := map[string]int{}
	for _, p := range props {
		got[p.key] = p.value
		lines[p.key] = p.line
	}
	assert.Equal(t, map[string]string{
		"a": "1", "b": "2", "c": "3", "d": "", "e": "xy", "f": `\`, "g=h": "i", "A": "", "last": "trailing",
	}, got)
	assert.Equal(t, 5, lines["e"])
	assert.Equal(t, 8, lines["f"])
}
