#!/usr/bin/env bash
# zk-ensemble.sh — run a 3-server Apache ZooKeeper 3.8 ensemble on loopback,
# from Debian's `zookeeper` package, for the conformance suite and for users.
#
#   scripts/zk-ensemble.sh start  [DIR]   start (or reuse) the ensemble, wait until
#                                         every server is leader or follower, print
#                                         the connect string on stdout
#   scripts/zk-ensemble.sh stop   [DIR]   stop the servers this script started in DIR
#   scripts/zk-ensemble.sh status [DIR]   print each server's mode; exit 1 unless all serve
#   scripts/zk-ensemble.sh clean  [DIR]   stop, then delete DIR
#
# DIR defaults to /tmp/zabkit-zk. Each server N gets DIR/serverN/{zoo.cfg,data/myid,
# server.log,pid}. Data survives stop/start; use `clean` (or a new DIR) for a fresh tree.
#
# Environment (all optional):
#   ZABKIT_ZK_CLIENT_PORTS    client ports, comma-separated   (21851,21852,21853)
#   ZABKIT_ZK_QUORUM_PORTS    quorum (follower) ports          (21861,21862,21863)
#   ZABKIT_ZK_ELECTION_PORTS  leader-election ports            (21871,21872,21873)
#   ZABKIT_ZK_TICK_MS         tickTime in ms                   (1000)
#   ZABKIT_ZK_SUPER_PASSWORD  password of the digest super user "super"
#                             (zabkit-super; set it empty to configure no super user)
#   ZABKIT_ZK_CONTAINER_CHECK_MS  container/TTL reaper interval in ms (200)
#   ZABKIT_ZK_START_TIMEOUT   seconds to wait for the quorum   (120)
#   ZABKIT_ZK_LOG_LEVEL       server log level in DIR/serverN/server.log (info)
#   ZABKIT_ZK_INSTALL         1 = apt-get install the package if missing without asking
#                             (the default when running as root non-interactively)
#   JAVA                      java binary                      (java on PATH)
#
# What the configuration enables, and why (the suite relies on it):
#   extendedTypesEnabled=true            TTL nodes (create modes 5 and 6)
#   4lw.commands.whitelist=*             srvr/ruok/stat/mntr/... four-letter words
#   -Dznode.container.checkIntervalMs    a JVM property, not a zoo.cfg key in 3.8: how
#                                        often the leader reaps empty containers and
#                                        expired TTL nodes (default one minute)
#   minSessionTimeout=1000               short sessions so expiry is quick to observe
#   admin.enableServer=false             no Jetty admin server on port 8080
#   -Dzookeeper.DigestAuthenticationProvider.superDigest   the "super" digest user
set -euo pipefail

ZK_JAR=/usr/share/java/zookeeper.jar
CONF_DIR=/etc/zookeeper/conf

cmd="${1:-}"
dir=$(realpath -m -- "${2:-/tmp/zabkit-zk}")

IFS=, read -r -a client_ports <<<"${ZABKIT_ZK_CLIENT_PORTS:-21851,21852,21853}"
IFS=, read -r -a quorum_ports <<<"${ZABKIT_ZK_QUORUM_PORTS:-21861,21862,21863}"
IFS=, read -r -a election_ports <<<"${ZABKIT_ZK_ELECTION_PORTS:-21871,21872,21873}"
tick_ms="${ZABKIT_ZK_TICK_MS:-1000}"
super_password="${ZABKIT_ZK_SUPER_PASSWORD-zabkit-super}"
container_check_ms="${ZABKIT_ZK_CONTAINER_CHECK_MS:-200}"
start_timeout="${ZABKIT_ZK_START_TIMEOUT:-120}"
java="${JAVA:-java}"

me=zk-ensemble
start_poll=0.5
stop_poll=0.2
# shellcheck source=scripts/lib/servers.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/servers.sh"

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# shellcheck disable=SC2119 # no extra ports
check_ports() { check_server_ports; }

# ensure_package installs Debian's zookeeper if the jar is missing.
ensure_package() {
  [ -f "$ZK_JAR" ] && return 0
  if [ "${ZABKIT_ZK_INSTALL:-}" != 1 ] && [ -t 0 ]; then
    die "$ZK_JAR is missing: install it with 'apt-get install -y zookeeper zookeeper-bin' (or set ZABKIT_ZK_INSTALL=1)"
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing zookeeper from apt"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeper zookeeper-bin >&2
  [ -f "$ZK_JAR" ] || die "apt-get finished but $ZK_JAR is still missing"
}

# classpath mirrors Debian's zkEnv.sh (/etc/zookeeper/conf:/usr/share/java/zookeeper.jar;
# the jar's manifest Class-Path names its dependencies), plus an slf4j binding so the
# server log in DIR/serverN/server.log is not empty.
classpath() {
  local cp="$CONF_DIR:$ZK_JAR"
  [ -f /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  printf '%s' "$cp"
}

write_config() {
  local n=$1 sdir="$dir/server$1" i
  mkdir -p "$sdir/data"
  printf '%s\n' "$n" >"$sdir/data/myid"
  {
    echo "# written by scripts/zk-ensemble.sh"
    echo "tickTime=$tick_ms"
    echo "initLimit=30"
    echo "syncLimit=10"
    echo "minSessionTimeout=1000"
    echo "maxSessionTimeout=60000"
    echo "dataDir=$sdir/data"
    echo "clientPortAddress=127.0.0.1"
    echo "clientPort=${client_ports[n - 1]}"
    echo "maxClientCnxns=0"
    echo "extendedTypesEnabled=true"
    echo "4lw.commands.whitelist=*"
    echo "admin.enableServer=false"
    echo "autopurge.snapRetainCount=3"
    echo "autopurge.purgeInterval=1"
    for i in 1 2 3; do
      echo "server.$i=127.0.0.1:${quorum_ports[i - 1]}:${election_ports[i - 1]}"
    done
  } >"$sdir/zoo.cfg"
}

super_digest() {
  # DigestAuthenticationProvider's main prints "user:password->user:base64(sha1)".
  "$java" -cp "$(classpath)" org.apache.zookeeper.server.auth.DigestAuthenticationProvider \
    "super:$super_password" 2>/dev/null | sed -n 's/^.*->//p'
}

start_server() {
  local n=$1 sdir="$dir/server$1" flags=()
  flags+=("-Dznode.container.checkIntervalMs=$container_check_ms")
  flags+=("-Dzookeeper.extendedTypesEnabled=true")
  flags+=("-Dzookeeper.admin.enableServer=false")
  flags+=("-Dorg.slf4j.simpleLogger.defaultLogLevel=${ZABKIT_ZK_LOG_LEVEL:-info}")
  flags+=("-Dorg.slf4j.simpleLogger.showDateTime=true")
  flags+=("-Xmx256m" "-XX:+UseSerialGC" "-XX:TieredStopAtLevel=1")
  [ -n "$digest" ] && flags+=("-Dzookeeper.DigestAuthenticationProvider.superDigest=$digest")
  nohup "$java" "${flags[@]}" -cp "$(classpath)" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$sdir/zoo.cfg" \
    >"$sdir/server.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$sdir/pid"
}

do_start() {
  ensure_package
  command -v "$java" >/dev/null || die "java not found (install default-jre)"
  mkdir -p "$dir"

  [ "$(running_servers)" -ne 0 ] ||
    refuse_used_ports 'ZABKIT_ZK_*_PORTS' "${client_ports[@]}" "${quorum_ports[@]}" "${election_ports[@]}"

  digest=""
  if [ -n "$super_password" ]; then
    digest=$(super_digest)
    [ -n "$digest" ] || die "could not compute the super digest"
  fi

  start_servers
  do_status >&2
  [ -n "$super_password" ] && log "super user: super:$super_password (digest)"
  connect_string
}

dispatch "$cmd"
