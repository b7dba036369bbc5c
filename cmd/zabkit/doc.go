// Command zabkit runs a zabkit server from a ZooKeeper configuration file,
// and carries a small shell, a load generator and a four-letter-word
// sender.
//
//	zabkit server [-log-level debug|info|warn|error] <zoo.cfg>
//	zabkit cli [-server host:port,...] [-timeout 10s] [-cmd-timeout 30s] [command [args...]]
//	zabkit bench [-server host:port,...] [-ensemble 3] [-clients 8] [-duration 10s] [-size 100] [-reads 0.5]
//	zabkit 4lw [-server host:port] [-timeout 10s] <word>
//
// # server
//
// The server reads zoo.cfg with package core/server/zoocfg, as Apache
// ZooKeeper's QuorumPeerConfig does
// (the Java properties format; tickTime, initLimit, syncLimit, dataDir,
// clientPort, server.N lines, myid in dataDir, ...), so that scripts and
// configuration written for ZooKeeper start it unchanged. Without server.N
// lines (or with a single participant) it runs standalone. Keys zabkit
// does not use are logged once and ignored; mistakes are refused with the
// file, line and key. Peers talk on the quorum port of server.N; the
// election port is not opened. Snapshots and epochs live in dataDir/zabkit
// and the transaction log in dataLogDir/zabkit (dataDir/zabkit when
// dataLogDir is not set), as ZooKeeper keeps dataDir/version-2 and
// dataLogDir/version-2; moving the log between the two directories means
// moving its log.* files too, or the server refuses to start.
//
// The client port also answers ZooKeeper's four-letter words
// (4lw.commands.whitelist), and metricsProvider.httpPort serves Prometheus
// metrics at /metrics under ZooKeeper's metric names. SIGTERM and SIGINT
// stop the server gracefully; a second signal kills it.
//
// # cli
//
// ls, get, set, create [-e] [-s], delete (or rm), stat and sync, one
// command from the arguments or one per line from stdin (for scripts: a
// failed command is reported with its line number and the exit status is
// 1). Output follows zkCli.sh where both have the command.
//
// # bench
//
// Sessions that each set and get their own znode for a while, then
// throughput and latency percentiles. Without -server it starts an
// in-process ensemble (-ensemble servers, 3 by default) to measure.
//
// # 4lw
//
// Sends one four-letter word (ruok, srvr, stat, mntr, conf, ...) to one
// server, zabkit or ZooKeeper, and prints the reply as it comes: what
// `echo srvr | nc host port` does where nc is installed.
package main
