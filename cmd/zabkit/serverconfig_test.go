package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/core/server"
)

func TestServerConfigFromZooCfg(t *testing.T) {
	zc, err := parseConfigWith("zoo.cfg", strings.NewReader(`tickTime=200
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
	sc, err := serverConfig(zc, logger)
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
	assert.Equal(t, 77, sc.MaxOutstanding)
	assert.True(t, sc.ExtendedTypes)
	assert.Equal(t, "/d/zabkit", sc.Dir)
	assert.Same(t, logger, sc.Logger)
}

func TestServerConfigStandalone(t *testing.T) {
	zc, err := parseConfigWith("zoo.cfg", strings.NewReader("tickTime=2000\ndataDir=/d\nclientPort=2181\n"), fakeFiles(nil))
	require.NoError(t, err)
	sc, err := serverConfig(zc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), sc.ID, "standalone without myid is server 1")
	assert.Equal(t, []server.Peer{{ID: 1, ClientAddr: ":2181"}}, sc.Peers)
	assert.NotNil(t, sc.Network, "standalone opens no peer port")
	assert.False(t, sc.ExtendedTypes, "TTL nodes off unless extendedTypesEnabled, as ZooKeeper")
	assert.Nil(t, sc.FourLetterWhitelist, "ZooKeeper's default whitelist")
	assert.Equal(t, 4*time.Second, sc.MinSessionTimeout)
	assert.Equal(t, 40*time.Second, sc.MaxSessionTimeout)
}

func TestServerConfigRefusesWhatTheServerCannotRun(t *testing.T) {
	zc, err := parseConfigWith("zoo.cfg", strings.NewReader(
		"tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\njute.maxbuffer=100\nserver.1=h:1:2\nserver.2=h:3:4\n"),
		fakeFiles(map[string]string{"/d/myid": "1"}))
	require.NoError(t, err)
	_, err = serverConfig(zc, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
		zc, err := parseConfigWith("zoo.cfg", strings.NewReader("tickTime=2000\nclientPort=2181\n"+tc.cfg), fakeFiles(nil))
		require.NoError(t, err)
		sc, err := serverConfig(zc, slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		assert.Equal(t, tc.dir, sc.Dir, tc.cfg)
		assert.Equal(t, tc.logDir, sc.LogDir, tc.cfg)
	}
}
