// Package zoocfg reads a standard ZooKeeper configuration file, zoo.cfg,
// as Apache ZooKeeper's QuorumPeerConfig does, and turns it into a
// server.Config: the zabkit binary's `zabkit server <zoo.cfg>` is built on
// it, and a program that embeds a zabkit server can start it from the
// same files its operators already write for ZooKeeper.
//
//	cfg, err := zoocfg.Load("/etc/zookeeper/conf/zoo.cfg")
//	if err != nil { ... } // errors.Is(err, zoocfg.ErrInvalid) for a mistake in the file
//	cfg.Log(logger)       // warnings, and the keys zabkit ignores
//	sc, err := cfg.ServerConfig(logger)
//	if err != nil { ... }
//	srv, err := server.New(sc)
//
// The file is in the Java properties format ('#' and '!' comments,
// key=value, key:value or key value, backslash continuations and escapes).
// The keys are QuorumPeerConfig's (tickTime, initLimit, syncLimit,
// dataDir, dataLogDir, clientPort, clientPortAddress, server.N,
// dynamicConfigFile, autopurge.*, ...) plus the system-property keys a
// zabkit server honours (4lw.commands.whitelist, jute.maxbuffer,
// globalOutstandingLimit, DigestAuthenticationProvider.superDigest,
// extendedTypesEnabled, metricsProvider.*). The server's id is read from
// dataDir/myid. Without server.N lines, or with a single participant while
// standaloneEnabled is true, the server runs standalone. Keys zabkit does
// not use are listed in Config.Ignored with the reason; a key set twice
// keeps its last value, with a warning.
//
// Every mistake is an *Error that names the file, the line (when there is
// one) and the key, as "zoo.cfg:7: server.2: address h1:2888 is also used
// by server.1", and matches ErrInvalid.
//
// The package lives under core/server because it produces a
// server.Config and imports nothing else of the project: imports still
// point downward (cmd/zabkit ──► core/server/zoocfg ──► core/server), and
// core/server does not depend on the file format.
package zoocfg
