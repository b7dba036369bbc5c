package zoocfg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is a parsed and validated zoo.cfg, the standard ZooKeeper
// server configuration, reduced to what a zabkit server uses. Durations
// are converted from ZooKeeper's milliseconds (hours for the purge
// interval); ZooKeeper's defaults fill what the file does not set.
type Config struct {
	// File is the configuration file's path, for messages.
	File string

	// TickTime is tickTime, ZooKeeper's basic time unit.
	TickTime time.Duration
	// InitLimit is initLimit, in ticks (0 when not set: standalone).
	InitLimit int
	// SyncLimit is syncLimit, in ticks (0 when not set: standalone).
	SyncLimit int
	// DataDir is dataDir, where myid, snapshots and epochs live.
	DataDir string
	// DataLogDir is dataLogDir, where the transaction log lives; DataDir
	// when not set.
	DataLogDir string
	// MaxClientCnxns is maxClientCnxns, connections per client host (0:
	// unlimited; default 60).
	MaxClientCnxns int
	// MinSessionTimeout is minSessionTimeout (default 2 ticks).
	MinSessionTimeout time.Duration
	// MaxSessionTimeout is maxSessionTimeout (default 20 ticks).
	MaxSessionTimeout time.Duration
	// SnapCount is snapCount, transactions between snapshots (default
	// 100000).
	SnapCount int
	// SnapRetainCount is autopurge.snapRetainCount, snapshots kept by a
	// purge (at least 3).
	SnapRetainCount int
	// PurgeInterval is autopurge.purgeInterval; 0: autopurge disabled.
	PurgeInterval time.Duration

	// ClientAddr is this server's client listen address, host:port (host
	// empty for every interface), from server.<myid>'s client part or
	// clientPortAddress and clientPort.
	ClientAddr string

	// Standalone is true when the file names no quorum (no server.N line,
	// or a single voter while standaloneEnabled is true, as ZooKeeper).
	Standalone bool
	// MyID is the content of dataDir/myid (0 when standalone without one).
	MyID int64
	// Observer is true when this server is an observer.
	Observer bool
	// Servers are the server.N lines, sorted by id.
	Servers []Server

	// FourLetterWhitelist is 4lw.commands.whitelist split on commas; nil
	// when not set (ZooKeeper's default then allows only srvr).
	FourLetterWhitelist []string
	// SuperDigest is DigestAuthenticationProvider.superDigest
	// (user:base64(sha1(user:password))).
	SuperDigest string
	// MaxPacket is jute.maxbuffer in bytes; 0 when not set.
	MaxPacket int
	// MaxOutstandingGlobal is globalOutstandingLimit, the requests in
	// flight over all client connections of the server; 0 when not set.
	MaxOutstandingGlobal int
	// ExtendedTypes is extendedTypesEnabled (TTL nodes).
	ExtendedTypes bool
	// MetricsAddr is the Prometheus endpoint's listen address from
	// metricsProvider.httpHost and metricsProvider.httpPort; empty when no
	// metrics provider is configured.
	MetricsAddr string

	// Ignored lists the keys zabkit does not use, each once, for a log line.
	Ignored []IgnoredKey
	// Warnings are non-fatal remarks (a corrected value, a duplicate key).
	Warnings []string
}

// Server is one server.N line:
// host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort].
type Server struct {
	// ID is N.
	ID int64
	// Host is the host of the quorum and election ports.
	Host string
	// QuorumPort is the port followers connect to the leader on.
	QuorumPort int
	// ElectionPort is ZooKeeper's leader election port (a zabkit server
	// does not open it).
	ElectionPort int
	// Observer is true for an observer, false for a participant.
	Observer bool
	// ClientAddr is the client part as host:port ("" when absent; host
	// empty when only a port was given).
	ClientAddr string
	// Line is the line of the file the server is defined on.
	Line int
}

// QuorumAddr is host:quorumPort, the address followers connect to.
func (s Server) QuorumAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort))
}

// ElectionAddr is host:electionPort, the address of leader election.
func (s Server) ElectionAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort))
}

// IgnoredKey is a configuration key zabkit reads past.
type IgnoredKey struct {
	// Key is the key as the file spells it.
	Key string
	// Line is the line of its last setting.
	Line int
	// Reason says why zabkit does not use it.
	Reason string
}

// Error is a configuration mistake, naming the file, the line (0 when
// the problem is a missing key) and the key. It matches ErrInvalid with
// errors.Is.
type Error struct {
	// File is the path of the file with the mistake (the zoo.cfg, or its
	// dynamic config file).
	File string
	// Line is the line of the mistake; 0 when a key is missing or the
	// mistake is between keys.
	Line int
	// Key is the key concerned ("" when none).
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error formats the mistake as file[:line][: key]: msg.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrInvalid is matched by errors.Is for every *Error: the file was read
// but is not a valid configuration.
var ErrInvalid = errors.New("invalid configuration")

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// ZooKeeper's defaults (ZooKeeperServer, QuorumPeerConfig, SyncRequestProcessor).
const (
	defaultMaxClientCnxns  = 60
	defaultSnapCount       = 100000
	minSnapRetainCount     = 3
	maxServerID            = 254 // ids fit in the top byte of session ids, 0xff reserved
	defaultMetricsHTTPHost = "0.0.0.0"
	defaultMetricsHTTPPort = 7000
)

// Load reads and validates the zoo.cfg at path, and the myid file and
// dynamic config file it names. A file that cannot be read is reported as
// os.ReadFile reports it; a mistake in it is an *Error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, bytes.NewReader(data))
}

// parser holds the raw values while a file is read.
type parser struct {
	cfg      *Config
	readFile func(string) ([]byte, error)

	clientPort        int
	clientPortLine    int
	clientPortAddress string
	clientAddrLine    int
	minSession        int
	maxSession        int
	tickMS            int
	purgeHours        int
	peerType          string
	peerTypeLine      int
	standaloneEnabled bool
	metricsClass      string
	metricsHost       string
	metricsPort       int
	dynamicFile       string
	dynamicLine       int
}

// Parse parses a zoo.cfg read from r and validates it as ZooKeeper's
// QuorumPeerConfig does. name is the file's path: errors name it, and a
// relative dynamicConfigFile is found beside it. myid is read from the
// dataDir the file names (a standalone server needs none). Mistakes are
// reported as an *Error.
func Parse(name string, r io.Reader) (*Config, error) {
	return ParseWith(name, r, os.ReadFile)
}

// ParseWith is Parse reading the myid file and the dynamic config file
// with readFile instead of os.ReadFile; a missing file must be reported
// with an error matching fs.ErrNotExist. Tests, and programs that keep
// their configuration elsewhere than on disk, use it.
func ParseWith(name string, r io.Reader, readFile func(path string) ([]byte, error)) (*Config, error) {
	props, err := readProperties(r)
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	p := &parser{
		readFile: readFile,
		cfg: &Config{
			File:            name,
			MaxClientCnxns:  defaultMaxClientCnxns,
			SnapCount:       defaultSnapCount,
			SnapRetainCount: minSnapRetainCount,
		},
		minSession:        -1,
		maxSession:        -1,
		standaloneEnabled: true,
	}
	seen := map[string]int{}
	for _, pr := range props {
		if prev, ok := seen[pr.key]; ok {
			p.cfg.Warnings = append(p.cfg.Warnings,
				fmt.Sprintf("%s:%d: %s also set on line %d; the later value wins", name, pr.line, pr.key, prev))
		}
		seen[pr.key] = pr.line
	}
	for _, pr := range lastWins(props) {
		if err := p.set(pr); err != nil {
			return nil, err
		}
	}
	if p.dynamicFile != "" {
		if len(p.cfg.Servers) > 0 {
			s := p.cfg.Servers[0]
			return nil, &Error{File: name, Line: s.Line, Key: fmt.Sprintf("server.%d", s.ID),
				Msg: "must be in the dynamic config file " + p.dynamicFile}
		}
		if err := p.readDynamic(); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

// lastWins keeps, of keys set more than once, the last entry (a Java
// Properties map keeps the last), preserving file order otherwise.
func lastWins(props []property) []property {
	last := map[string]int{}
	for i, pr := range props {
		last[pr.key] = i
	}
	var out []property
	for i, pr := range props {
		if last[pr.key] == i {
			out = append(out, pr)
		}
	}
	return out
}

func (p *parser) errorf(pr property, format string, args ...any) error {
	return &Error{File: p.cfg.File, Line: pr.line, Key: pr.key, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) integer(pr property, min int) (int, error) {
	n, err := strconv.Atoi(pr.value)
	if err != nil {
		return 0, p.errorf(pr, "%q is not an integer", pr.value)
	}
	if n < min {
		return 0, p.errorf(pr, "%d is less than %d", n, min)
	}
	return n, nil
}

func (p *parser) boolean(pr property) (bool, error) {
	switch strings.ToLower(pr.value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.errorf(pr, "%q is not true or false", pr.value)
}

func (p *parser) ignore(pr property, reason string) {
	p.cfg.Ignored = append(p.cfg.Ignored, IgnoredKey{Key: pr.key, Line: pr.line, Reason: reason})
}

// set applies one entry. The keys are QuorumPeerConfig's, plus the
// system-property keys ZooKeeper turns into zookeeper.<key> that a zabkit
// server honours.
func (p *parser) set(pr property) error {
	c := p.cfg
	var err error
	switch pr.key {
	case "tickTime":
		p.tickMS, err = p.integer(pr, 1)
	case "initLimit":
		c.InitLimit, err = p.integer(pr, 1)
	case "syncLimit":
		c.SyncLimit, err = p.integer(pr, 1)
	case "dataDir":
		c.DataDir = pr.value
	case "dataLogDir":
		c.DataLogDir = pr.value
	case "clientPort":
		p.clientPort, err = p.integer(pr, 0)
		if err == nil && p.clientPort > 65535 {
			err = p.errorf(pr, "%d is not a port", p.clientPort)
		}
		p.clientPortLine = pr.line
	case "clientPortAddress":
		p.clientPortAddress, p.clientAddrLine = pr.value, pr.line
	case "maxClientCnxns":
		c.MaxClientCnxns, err = p.integer(pr, 0)
	case "minSessionTimeout":
		p.minSession, err = p.integer(pr, 0)
	case "maxSessionTimeout":
		p.maxSession, err = p.integer(pr, 0)
	case "snapCount":
		c.SnapCount, err = p.integer(pr, 2)
	case "autopurge.snapRetainCount":
		c.SnapRetainCount, err = p.integer(pr, 0)
		if err == nil && c.SnapRetainCount < minSnapRetainCount {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: autopurge.snapRetainCount %d is below %d; using %d",
				c.File, pr.line, c.SnapRetainCount, minSnapRetainCount, minSnapRetainCount))
			c.SnapRetainCount = minSnapRetainCount
		}
	case "autopurge.purgeInterval":
		p.purgeHours, err = strconv.Atoi(pr.value)
		if err != nil {
			err = p.errorf(pr, "%q is not an integer", pr.value)
		}
	case "peerType":
		switch strings.ToLower(pr.value) {
		case "observer", "participant":
			p.peerType, p.peerTypeLine = strings.ToLower(pr.value), pr.line
		default:
			err = p.errorf(pr, "%q is neither observer nor participant", pr.value)
		}
	case "standaloneEnabled":
		p.standaloneEnabled, err = p.boolean(pr)
	case "electionAlg":
		if pr.value != "3" {
			err = p.errorf(pr, "only 3 (fast leader election) is supported, got %q", pr.value)
		}
	case "dynamicConfigFile":
		p.dynamicFile, p.dynamicLine = pr.value, pr.line
	case "4lw.commands.whitelist":
		c.FourLetterWhitelist = splitList(pr.value)
	case "DigestAuthenticationProvider.superDigest":
		if !strings.Contains(pr.value, ":") {
			err = p.errorf(pr, "%q is not user:base64(sha1(user:password))", pr.value)
		}
		c.SuperDigest = pr.value
	case "jute.maxbuffer":
		c.MaxPacket, err = p.integer(pr, 1)
	case "globalOutstandingLimit":
		c.MaxOutstandingGlobal, err = p.integer(pr, 1)
	case "extendedTypesEnabled":
		c.ExtendedTypes, err = p.boolean(pr)
	case "metricsProvider.className":
		p.metricsClass = pr.value
	case "metricsProvider.httpHost":
		p.metricsHost = pr.value
	case "metricsProvider.httpPort":
		p.metricsPort, err = p.integer(pr, 0)
	default:
		switch {
		case strings.HasPrefix(pr.key, "server."):
			err = p.server(pr)
		case strings.HasPrefix(pr.key, "group.") || strings.HasPrefix(pr.key, "weight."):
			err = p.errorf(pr, "hierarchical quorums are not supported")
		default:
			p.ignore(pr, ignoreReason(pr.key))
		}
	}
	return err
}

// ignoreReason says why a key has no effect on a zabkit server.
func ignoreReason(key string) string {
	switch {
	case strings.HasPrefix(key, "admin."):
		return "zabkit has no AdminServer (use the four-letter words and metricsProvider.httpPort)"
	case strings.HasPrefix(key, "authProvider."):
		return "zabkit has the digest, world, auth and ip schemes built in"
	case strings.HasPrefix(key, "ssl.") || strings.HasPrefix(key, "secureClientPort") ||
		key == "sslQuorum" || key == "portUnification" || strings.HasPrefix(key, "quorum.auth"):
		return "TLS and SASL are not supported"
	case strings.HasPrefix(key, "metricsProvider."):
		return "not used by zabkit's metrics endpoint"
	}
	return "not a setting zabkit uses"
}

// splitList splits a comma-separated list, trimming entries and dropping
// empty ones.
func splitList(s string) []string {
	out := []string{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// readDynamic reads the server.N lines of dynamicConfigFile.
func (p *parser) readDynamic() error {
	path := p.dynamicFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(p.cfg.File), path)
	}
	data, err := p.readFile(path)
	if err != nil {
		return &Error{File: p.cfg.File, Line: p.dynamicLine, Key: "dynamicConfigFile", Msg: err.Error()}
	}
	props, err := readProperties(bytes.NewReader(data))
	if err != nil {
		return &Error{File: path, Msg: err.Error()}
	}
	sub := &parser{cfg: &Config{File: path}}
	for _, pr := range lastWins(props) {
		switch {
		case strings.HasPrefix(pr.key, "server."):
			if err := sub.server(pr); err != nil {
				return err
			}
		case pr.key == "version":
		default:
			return sub.errorf(pr, "a dynamic config file holds only server.N lines")
		}
	}
	p.cfg.Servers = append(p.cfg.Servers, sub.cfg.Servers...)
	return nil
}

// server parses server.N=host:quorumPort:electionPort[:type][;[host:]port].
func (p *parser) server(pr property) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(pr.key, "server."), 10, 64)
	if err != nil || id <= 0 {
		return p.errorf(pr, "the server id must be a positive integer")
	}
	if id > maxServerID {
		return p.errorf(pr, "server ids go from 1 to %d", maxServerID)
	}
	const form = "want host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]"
	serverPart, clientPart, hasClient := strings.Cut(pr.value, ";")
	if strings.Contains(clientPart, ";") {
		return p.errorf(pr, "%q: %s", pr.value, form)
	}
	if strings.Contains(serverPart, "|") {
		return p.errorf(pr, "multiple addresses (|) are not supported")
	}
	parts, err := hostAndPorts(serverPart)
	if err != nil || len(parts) < 3 || len(parts) > 4 {
		return p.errorf(pr, "%q: %s", pr.value, form)
	}
	s := Server{ID: id, Host: parts[0], Line: pr.line}
	if s.Host == "" {
		return p.errorf(pr, "%q: empty host", pr.value)
	}
	if s.QuorumPort, err = port(parts[1]); err != nil {
		return p.errorf(pr, "quorum port: %v", err)
	}
	if s.ElectionPort, err = port(parts[2]); err != nil {
		return p.errorf(pr, "election port: %v", err)
	}
	if s.QuorumPort == s.ElectionPort {
		return p.errorf(pr, "the quorum and election ports must differ")
	}
	if len(parts) == 4 {
		switch strings.ToLower(parts[3]) {
		case "observer":
			s.Observer = true
		case "participant":
		default:
			return p.errorf(pr, "%q is neither participant nor observer", parts[3])
		}
	}
	if hasClient {
		cp, err := hostAndPorts(strings.TrimSpace(clientPart))
		if err != nil || len(cp) > 2 {
			return p.errorf(pr, "client address %q: want [host:]port", clientPart)
		}
		n, err := port(cp[len(cp)-1])
		if err != nil {
			return p.errorf(pr, "client port: %v", err)
		}
		host := ""
		if len(cp) == 2 {
			host = cp[0]
		}
		if host == "0.0.0.0" {
			host = ""
		}
		s.ClientAddr = net.JoinHostPort(host, strconv.Itoa(n))
	}
	for _, o := range p.cfg.Servers {
		if o.ID == id {
			return p.errorf(pr, "server %d is also defined on line %d", id, o.Line)
		}
	}
	p.cfg.Servers = append(p.cfg.Servers, s)
	return nil
}

// hostAndPorts splits host:port:port..., where an IPv6 host is in brackets,
// as ZooKeeper's ConfigUtils.getHostAndPort.
func hostAndPorts(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]")
		if i < 0 {
			return nil, fmt.Errorf("%q has '[' without ']'", s)
		}
		rest := s[i+1:]
		if rest == "" {
			return []string{s[1:i]}, nil
		}
		if !strings.HasPrefix(rest, ":") || len(rest) == 1 {
			return nil, fmt.Errorf("%q has no port after ']'", s)
		}
		return append([]string{s[1:i]}, strings.Split(rest[1:], ":")...), nil
	}
	return strings.Split(s, ":"), nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port (1-65535)", s)
	}
	return n, nil
}

func (p *parser) missing(key, msg string) error {
	return &Error{File: p.cfg.File, Key: key, Msg: msg}
}

// finish applies defaults and the cross-key rules of QuorumPeerConfig.
func (p *parser) finish() error {
	c := p.cfg
	if p.tickMS == 0 {
		return p.missing("tickTime", "not set")
	}
	c.TickTime = time.Duration(p.tickMS) * time.Millisecond
	if c.DataDir == "" {
		return p.missing("dataDir", "not set")
	}
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if p.minSession == -1 {
		p.minSession = 2 * p.tickMS
	}
	if p.maxSession == -1 {
		p.maxSession = 20 * p.tickMS
	}
	if p.minSession > p.maxSession {
		return p.missing("minSessionTimeout", fmt.Sprintf("%d is larger than maxSessionTimeout %d", p.minSession, p.maxSession))
	}
	c.MinSessionTimeout = time.Duration(p.minSession) * time.Millisecond
	c.MaxSessionTimeout = time.Duration(p.maxSession) * time.Millisecond
	if p.purgeHours > 0 {
		c.PurgeInterval = time.Duration(p.purgeHours) * time.Hour
	}
	if p.metricsClass != "" || p.metricsPort != 0 {
		if p.metricsClass != "" && !strings.Contains(p.metricsClass, "Prometheus") {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: metricsProvider.className %s: zabkit serves Prometheus metrics instead", c.File, p.metricsClass))
		}
		host, prt := p.metricsHost, p.metricsPort
		if host == "" {
			host = defaultMetricsHTTPHost
		}
		if prt == 0 {
			prt = defaultMetricsHTTPPort
		}
		c.MetricsAddr = net.JoinHostPort(host, strconv.Itoa(prt))
	}

	sort.Slice(c.Servers, func(i, j int) bool { return c.Servers[i].ID < c.Servers[j].ID })
	voters := 0
	for _, s := range c.Servers {
		if !s.Observer {
			voters++
		}
	}
	if len(c.Servers) > 0 && voters == 0 {
		return p.missing("server.N", "observers without participants")
	}
	if err := p.distinctAddrs(); err != nil {
		return err
	}
	c.Standalone = len(c.Servers) == 0 || (p.standaloneEnabled && voters == 1)
	if len(c.Servers) > 0 && c.Standalone {
		if len(c.Servers) > 1 {
			return p.missing("server.N", "observers without a quorum (one participant)")
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: only one server is listed; running standalone", c.File))
	}
	if err := p.readMyID(); err != nil {
		return err
	}
	if !c.Standalone {
		if c.InitLimit == 0 {
			return p.missing("initLimit", "not set (required with server.N lines)")
		}
		if c.SyncLimit == 0 {
			return p.missing("syncLimit", "not set (required with server.N lines)")
		}
		if c.MyID == 0 {
			return p.missing("myid", fmt.Sprintf("file %s is missing (required with server.N lines)", filepath.Join(c.DataDir, "myid")))
		}
	}
	return p.clientAddress()
}

// distinctAddrs refuses two servers on the same host and port.
func (p *parser) distinctAddrs() error {
	used := map[string]int64{}
	for _, s := range p.cfg.Servers {
		for _, a := range []string{s.QuorumAddr(), s.ElectionAddr()} {
			if other, ok := used[a]; ok {
				return &Error{File: p.cfg.File, Line: s.Line, Key: fmt.Sprintf("server.%d", s.ID),
					Msg: fmt.Sprintf("address %s is also used by server.%d", a, other)}
			}
			used[a] = s.ID
		}
	}
	return nil
}

// readMyID reads dataDir/myid: one line with this server's id. A
// standalone server needs none.
func (p *parser) readMyID() error {
	c := p.cfg
	path := filepath.Join(c.DataDir, "myid")
	data, err := p.readFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return p.missing("myid", err.Error())
	}
	first, _, _ := strings.Cut(string(data), "\n")
	id, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil || id <= 0 || id > maxServerID {
		return p.missing("myid", fmt.Sprintf("%s: %q is not a server id (1 to %d)", path, strings.TrimSpace(first), maxServerID))
	}
	c.MyID = id
	if c.Standalone {
		return nil
	}
	for _, s := range c.Servers {
		if s.ID == id {
			c.Observer = s.Observer
			if p.peerType != "" && (p.peerType == "observer") != s.Observer {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: peerType %s does not match server.%d; using the server list",
					c.File, p.peerTypeLine, p.peerType, id))
			}
			return nil
		}
	}
	return p.missing("myid", fmt.Sprintf("%s says %d, but there is no server.%d line", path, id, id))
}

// clientAddress settles this server's client listen address.
func (p *parser) clientAddress() error {
	c := p.cfg
	if p.clientPort == 0 && p.clientPortAddress != "" {
		return &Error{File: c.File, Line: p.clientAddrLine, Key: "clientPortAddress", Msg: "set but clientPort is not"}
	}
	static := ""
	if p.clientPort != 0 {
		host := p.clientPortAddress
		if host == "0.0.0.0" {
			host = ""
		}
		static = net.JoinHostPort(host, strconv.Itoa(p.clientPort))
	}
	var fromList string
	if !c.Standalone || c.MyID != 0 {
		for _, s := range c.Servers {
			if s.ID == c.MyID {
				fromList = s.ClientAddr
			}
		}
	}
	switch {
	case fromList != "" && static != "":
		sh, sp, _ := net.SplitHostPort(static)
		lh, lp, _ := net.SplitHostPort(fromList)
		if sp != lp || (sh != "" && sh != lh) {
			return &Error{File: c.File, Line: p.clientPortLine, Key: "clientPort",
				Msg: fmt.Sprintf("%s differs from server.%d's client address %s", static, c.MyID, fromList)}
		}
		c.ClientAddr = fromList
	case fromList != "":
		c.ClientAddr = fromList
	case static != "":
		c.ClientAddr = static
	default:
		return p.missing("clientPort", "not set (set clientPort or a client address in server.N)")
	}
	return nil
}
