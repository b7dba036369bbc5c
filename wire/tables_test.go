package wire

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// zkSrc is where the Apache ZooKeeper 3.8 sources are unpacked on the
// development machines; the cross-check tests skip when they are absent.
const zkSrc = "/work/ref/zookeeper-3.8/zookeeper-server/src/main/java/org/apache/zookeeper"

func readZKSource(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(zkSrc, name))
	if err != nil {
		t.Skipf("ZooKeeper sources not available: %v", err)
	}
	return string(b)
}

// section returns src from the first occurrence of start to the first
// occurrence of end after it.
func section(t *testing.T, src, start, end string) string {
	t.Helper()
	i := strings.Index(src, start)
	require.GreaterOrEqual(t, i, 0, "marker %q", start)
	j := strings.Index(src[i:], end)
	require.Greater(t, j, 0, "end marker %q", end)
	return src[i : i+j]
}

var (
	intConstRe = regexp.MustCompile(`int\s+(\w+)\s*=\s*(-?\d+)\s*;`)
	enumRe     = regexp.MustCompile(`(?m)^\s*([A-Za-z_]+)\s*\(\s*(-?\w+)\s*[,)]`)
)

func intConsts(t *testing.T, src string) map[string]int {
	m := map[string]int{}
	for _, g := range intConstRe.FindAllStringSubmatch(src, -1) {
		v, err := strconv.Atoi(g[2])
		require.NoError(t, err)
		m[g[1]] = v
	}
	return m
}

// enumValues parses `NAME(value` entries; a value may name an int constant.
func enumValues(t *testing.T, src string, consts map[string]int) map[string]int {
	m := map[string]int{}
	for _, g := range enumRe.FindAllStringSubmatch(src, -1) {
		v, err := strconv.Atoi(g[2])
		if err != nil {
			c, ok := consts[g[2]]
			require.True(t, ok, "enum %s refers to unknown constant %s", g[1], g[2])
			v = c
		}
		m[g[1]] = v
	}
	return m
}

func TestOpCodesMatchZooDefs(t *testing.T) {
	src := section(t, readZKSource(t, "ZooDefs.java"), "interface OpCode", "interface Perms")
	java := intConsts(t, src)
	require.Len(t, opNames, len(java), "number of op codes")
	for op, name := range opNames {
		v, ok := java[name]
		require.True(t, ok, "op %s not in ZooDefs.OpCode", name)
		require.Equal(t, v, int(op), "op %s", name)
	}
}

func TestPermsAndAddWatchModesMatchZooDefs(t *testing.T) {
	src := readZKSource(t, "ZooDefs.java")
	perms := section(t, src, "interface Perms", "int ALL")
	require.Contains(t, perms, "READ = 1 << 0")
	require.Contains(t, perms, "WRITE = 1 << 1")
	require.Contains(t, perms, "CREATE = 1 << 2")
	require.Contains(t, perms, "DELETE = 1 << 3")
	require.Contains(t, perms, "ADMIN = 1 << 4")
	require.Equal(t, int32(31), PermAll)
	modes := intConsts(t, section(t, src, "interface AddWatchModes", "}"))
	require.Equal(t, map[string]int{"persistent": int(AddWatchPersistent), "persistentRecursive": int(AddWatchPersistentRecursive)}, modes)
}

func TestCodesMatchKeeperException(t *testing.T) {
	src := readZKSource(t, "KeeperException.java")
	consts := intConsts(t, section(t, src, "interface CodeDeprecated", "public enum Code"))
	java := enumValues(t, section(t, src, "public enum Code", "private static final Map"), consts)
	require.Len(t, AllCodes, len(java), "number of codes")
	require.Len(t, codeInfos, len(java))
	for _, c := range AllCodes {
		name := strings.ToUpper(c.String())
		if c == CodeThrottled {
			name = "THROTTLEDOP"
		}
		v, ok := java[name]
		require.True(t, ok, "code %s not in KeeperException.Code", name)
		require.Equal(t, v, int(c), "code %s", name)
	}
}

func TestWatcherEnumsMatchWatcherJava(t *testing.T) {
	src := readZKSource(t, "Watcher.java")
	states := enumValues(t, section(t, src, "enum KeeperState", "private final int"), nil)
	for name, v := range states {
		require.Equal(t, name, State(v).String(), "KeeperState %s(%d)", name, v)
	}
	require.Len(t, states, 9)
	events := enumValues(t, section(t, src, "enum EventType", "private final int"), nil)
	for name, v := range events {
		require.Equal(t, name, EventType(v).String(), "EventType %s(%d)", name, v)
	}
	require.Len(t, events, 8)
	wt := enumValues(t, section(t, src, "enum WatcherType", "private final int"), nil)
	for name, v := range wt {
		require.Equal(t, name, WatcherType(v).String(), "WatcherType %s(%d)", name, v)
	}
	require.Len(t, wt, 3)
}

func TestCreateModesMatchCreateModeJava(t *testing.T) {
	src := section(t, readZKSource(t, "CreateMode.java"), "public enum CreateMode", "private static final Logger")
	modes := enumValues(t, src, nil)
	require.Len(t, modes, 7)
	for name, v := range modes {
		m := CreateMode(v)
		require.Equal(t, name, m.String())
		require.True(t, m.Valid())
	}
	// The flags in the Java constructor: (flag, ephemeral, sequential, container, ttl).
	flagsRe := regexp.MustCompile(`([A-Z_]+)\((\d), (true|false), (true|false), (true|false), (true|false)\)`)
	matches := flagsRe.FindAllStringSubmatch(src, -1)
	require.Len(t, matches, 7)
	for _, g := range matches {
		v, _ := strconv.Atoi(g[2])
		m := CreateMode(v)
		require.Equal(t, g[3] == "true", m.IsEphemeral(), "%s ephemeral", g[1])
		require.Equal(t, g[4] == "true", m.IsSequential(), "%s sequential", g[1])
		require.Equal(t, g[5] == "true", m.IsContainer(), "%s container", g[1])
		require.Equal(t, g[6] == "true", m.IsTTL(), "%s ttl", g[1])
	}
	require.False(t, CreateMode(7).Valid())
	require.False(t, CreateMode(-1).Valid())
}

func TestEphemeralTypeEncodings(t *testing.T) {
	src := readZKSource(t, "server/EphemeralType.java")
	require.Contains(t, src, "CONTAINER_EPHEMERAL_OWNER = Long.MIN_VALUE")
	require.Contains(t, src, "EXTENDED_MASK = 0xff00000000000000L")
	require.Contains(t, src, "RESERVED_BITS_MASK = 0x00ffff0000000000L")
	require.Contains(t, src, "MAX_EXTENDED_SERVER_ID = 0xfe")
	ext, cont := EphemeralOwnerExtendedMask, EphemeralOwnerContainer
	require.Equal(t, uint64(0xff00000000000000), uint64(ext))
	require.Equal(t, uint64(0x8000000000000000), uint64(cont))
	// EphemeralType's javadoc: a TTL of 1 ms is 0xff00000000000001.
	o, err := TTLEphemeralOwner(1)
	require.NoError(t, err)
	require.Equal(t, uint64(0xff00000000000001), uint64(o))
	ttl, ok := IsTTLEphemeralOwner(o)
	require.True(t, ok)
	require.Equal(t, int64(1), ttl)
	_, err = TTLEphemeralOwner(MaxTTL + 1)
	require.ErrorIs(t, err, CodeBadArguments)
	_, err = TTLEphemeralOwner(0)
	require.ErrorIs(t, err, CodeBadArguments)
	_, ok = IsTTLEphemeralOwner(EphemeralOwnerContainer)
	require.False(t, ok)
	_, ok = IsTTLEphemeralOwner(0x1000abcd)
	require.False(t, ok)
}

func TestXidsMatchClientCnxn(t *testing.T) {
	src := readZKSource(t, "ClientCnxn.java")
	c := intConsts(t, src)
	require.Equal(t, XidNotification, c["NOTIFICATION_XID"])
	require.Equal(t, XidPing, c["PING_XID"])
	require.Equal(t, XidAuth, c["AUTHPACKET_XID"])
	require.Equal(t, XidSetWatches, c["SET_WATCHES_XID"])
}

func TestCodeAsError(t *testing.T) {
	require.NoError(t, CodeOK.Err())
	err := CodeNoNode.Err()
	require.ErrorIs(t, err, CodeNoNode)
	require.Equal(t, "zk: no node", err.Error())
	require.Equal(t, "NoNode", CodeNoNode.String())
	require.Equal(t, "Code(-999)", Code(-999).String())
	require.Equal(t, "zk: unknown error -999", Code(-999).Error())
	require.False(t, Code(-999).Known())
	for _, c := range AllCodes {
		require.True(t, c.Known())
		require.NotEmpty(t, c.Error())
	}
	require.Equal(t, "getChildren2", OpGetChildren2.String())
	require.Equal(t, "Op(55)", Op(55).String())
	require.False(t, Op(55).Valid())
}
