package zoocfg

import (
	"bytes"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/core/server"
)

func TestServerConfigFromZooCfg(t *testing.T) {
	zc, err := ParseWith("zoo.cfg", strings.NewReader(`tickTime=200
initLimit=7
syncLimit=3
dataDir=/d
clientPortAddress=127.0.0.1
clientPort=2181
maxClientCnxns=10
minSessionTimeout=1000
maxSessionTimeout=5000
snapCount=1000
autopurge.snapRetainCount=4
autopurge.purgeInterval=1
4lw.commands.whitelist=*
DigestAuthenticationProvider.superDigest=super:abc=
jute.maxbuffer=4194304
globalOutstandingLimit=77
extendedTypesEnabled=true
server.1=10.0.0.1:2888:3888
server.2=10.0.0.2:2888:3888;2181
server.3=10.0.0.3:2888:3888:observer
`), fakeFiles(map[string]string{"/d/myid": "1"}))
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	sc, err := zc.ServerConfig(logger)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), sc.ID)
	assert.Equal(t, []server.Peer{
		{ID: 1, PeerAddr: "10.0.0.1:2888"},
		{ID: 2, PeerAddr: "10.0.0.2:2888", ClientAddr: ":2181"},
		{ID: 3, PeerAddr: "10.0.0.3:2888", Observer: true},
	}, sc.Peers)
	assert.Nil(t, sc.Network, "a quorum talks over TCP")
	assert.Equal(t, 200*time.Millisecond, sc.TickTime)
	assert.Equal(t, 7, sc.InitLimit)
	assert.Equal(t, 3, sc.SyncLimit)
	assert.Equal(t, "127.0.0.1:2181", sc.ClientAddr)
	assert.Equal(t, time.Second, sc.MinSessionTimeout)
	assert.Equal(t, 5*time.Second, sc.MaxSessionTimeout)
	assert.Equal(t, 10, sc.MaxClientCnxns)
	assert.Equal(t, 1000, sc.SnapCount)
	assert.Equal(t, 4, sc.SnapRetainCount)
	assert.Equal(t, time.Hour, sc.PurgeInterval)
	assert.Equal(t, []string{"*"}, sc.FourLetterWhitelist)
	assert.Equal(t, "super:abc=", sc.SuperDigest)
	assert.Equal(t, 4194304, sc.MaxPacket)
	assert.Equal(t, 77, sc.MaxOutstandingGlobal, "globalOutstandingLimit is a limit over all connections, as in ZooKeeper")
	assert.Equal(t, server.DefaultConfig(1).MaxOutstanding, sc.MaxOutstanding, "the per-connection limit keeps its default")
	assert.True(t, sc.ExtendedTypes)
	assert.Equal(t, "/d/zabkit", sc.Dir)
	assert.Same(t, logger, sc.Logger)
}

func TestServerConfigStandalone(t *testing.T) {
	zc, err := ParseWith("zoo.cfg", strings.NewReader("tickTime=2000\ndataDir=/d\nclientPort=2181\n"), fakeFiles(nil))
	require.NoError(t, err)
	sc, err := zc.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), sc.ID, "standalone without myid is server 1")
	assert.Equal(t, []server.Peer{{ID: 1, ClientAddr: ":2181"}}, sc.Peers)
	assert.NotNil(t, sc.Network, "standalone opens no peer port")
	assert.False(t, sc.ExtendedTypes, "TTL nodes off unless extendedTypesEnabled, as ZooKeeper")
	assert.Nil(t, sc.FourLetterWhitelist, "ZooKeeper's default whitelist")
	assert.Equal(t, 4*time.Second, sc.MinSessionTimeout)
	assert.Equal(t, 40*time.Second, sc.MaxSessionTimeout)
	d := server.DefaultConfig(1)
	assert.Equal(t, d.MaxOutstandingGlobal, sc.MaxOutstandingGlobal, "no globalOutstandingLimit: the server's default")
	assert.Equal(t, d.MaxOutstanding, sc.MaxOutstanding)
}

func TestServerConfigRefusesWhatTheServerCannotRun(t *testing.T) {
	zc, err := ParseWith("zoo.cfg", strings.NewReader(
		"tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\njute.maxbuffer=100\nserver.1=h:1:2\nserver.2=h:3:4\n"),
		fakeFiles(map[string]string{"/d/myid": "1"}))
	require.NoError(t, err)
	_, err = zc.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	assert.ErrorIs(t, err, server.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "zoo.cfg")
}

// dataLogDir maps to the server's LogDir (the log in dataLogDir/zabkit),
// empty when it is dataDir.
func TestServerConfigDataLogDir(t *testing.T) {
	for _, tc := range []struct{ cfg, dir, logDir string }{
		{"dataDir=/d\n", "/d/zabkit", ""},
		{"dataDir=/d\ndataLogDir=/d/\n", "/d/zabkit", ""},
		{"dataDir=/d\ndataLogDir=/l\n", "/d/zabkit", "/l/zabkit"},
	} {
		zc, err := ParseWith("zoo.cfg", strings.NewReader("tickTime=2000\nclientPort=2181\n"+tc.cfg), fakeFiles(nil))
		require.NoError(t, err)
		sc, err := zc.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		assert.Equal(t, tc.dir, sc.Dir, tc.cfg)
		assert.Equal(t, tc.logDir, sc.LogDir, tc.cfg)
	}
}

// ignoredKeyLines returns, for each key Log said it ignores, where
// the lines put it, in a text handler's output.
func ignoredKeyLines(t *testing.T, out string) map[string][]string {
	t.Helper()
	lines := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, `msg="ignoring configuration key"`) {
			continue
		}
		m := regexp.MustCompile(` key=(\S+) at=(\S+) `).FindStringSubmatch(l)
		require.NotNil(t, m, "no key and at in %q", l)
		lines[m[1]] = append(lines[m[1]], m[2])
	}
	return lines
}

// A key zabkit ignores is logged once, however often the file sets it:
// unknown QuorumPeerConfig keys, keys ZooKeeper would turn into zookeeper.*
// system properties, and keys already spelled zookeeper.*.
func TestLogConfigLogsEachIgnoredKeyOnce(t *testing.T) {
	zc, err := ParseWith("zoo.cfg", strings.NewReader(`tickTime=2000
dataDir=/d
clientPort=2181
admin.serverPort=8080
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
snapshot.trust.empty=true
admin.serverPort=9090
zookeeper.snapshot.trust.empty=true
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
admin.serverPort=9091
zookeeper.snapshot.trust.empty=false
`), fakeFiles(nil))
	require.NoError(t, err)
	var out bytes.Buffer
	zc.Log(slog.New(slog.NewTextHandler(&out, nil)))
	assert.Equal(t, map[string][]string{
		// The last setting of a key is the one a Properties map keeps.
		"admin.serverPort":               {"zoo.cfg:11"},
		"authProvider.1":                 {"zoo.cfg:9"},
		"snapshot.trust.empty":           {"zoo.cfg:6"},
		"zookeeper.snapshot.trust.empty": {"zoo.cfg:12"},
		"serverCnxnFactory":              {"zoo.cfg:10"},
	}, ignoredKeyLines(t, out.String()))
	assert.Equal(t, 4, strings.Count(out.String(), "level=WARN"), "one warning per repeated setting")

	// Log itself keeps the first of repeated entries.
	out.Reset()
	(&Config{File: "x.cfg", Ignored: []IgnoredKey{
		{Key: "a.b", Line: 1, Reason: "r"}, {Key: "zookeeper.c", Line: 2, Reason: "r"},
		{Key: "a.b", Line: 3, Reason: "r"}, {Key: "zookeeper.c", Line: 4, Reason: "r"}, {Key: "a.b", Line: 5, Reason: "r"},
	}}).Log(slog.New(slog.NewTextHandler(&out, nil)))
	assert.Equal(t, map[string][]string{"a.b": {"x.cfg:1"}, "zookeeper.c": {"x.cfg:2"}}, ignoredKeyLines(t, out.String()))
}
