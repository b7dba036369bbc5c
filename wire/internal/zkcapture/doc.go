// Package zkcapture records the frames a ZooKeeper client and server
// exchange, to produce the golden files under wire/testdata/golden that
// prove wire's encoders and decoders byte-compatible with Apache ZooKeeper.
//
// Proxy is a TCP proxy that splits both directions into length-prefixed
// frames and records them. TestCaptureGolden (capture_test.go) runs only
// when WIRE_ZK_CAPTURE names a running ZooKeeper 3.8 server (host:port);
// it drives the real Java client (Capture.java, run with the JDK's source
// launcher against Debian's /usr/share/java/zookeeper.jar) and go-zookeeper
// through the proxy and rewrites the golden files:
//
//	WIRE_ZK_CAPTURE=127.0.0.1:21810 go test ./wire/internal/zkcapture/ -run TestCaptureGolden
package zkcapture
