#!/usr/bin/env bash
# zabkit-cluster.sh — run a 3-server zabkit cluster on loopback: three
# `zabkit server zoo.cfg` processes with their logs and snapshots on disk
# (fsync'ed), the same shape as scripts/zk-ensemble.sh starts Apache ZooKeeper.
#
#   scripts/zabkit-cluster.sh start  [DIR]   build zabkit, start (or reuse) the cluster,
#                                            wait until every server is leader or
#                                            follower, print the connect string on stdout
#   scripts/zabkit-cluster.sh stop   [DIR]   stop the servers this script started in DIR
#   scripts/zabkit-cluster.sh status [DIR]   print each server's mode; exit 1 unless all serve
#   scripts/zabkit-cluster.sh clean  [DIR]   stop, then delete DIR
#
# DIR defaults to /tmp/zabkit-cluster. The binary is DIR/zabkit; each server N gets
# DIR/serverN/{zoo.cfg,data/myid,server.log,pid}. Data survives stop/start; use
# `clean` (or a new DIR) for a fresh tree.
#
# Environment (all optional):
#   ZABKIT_CLUSTER_CLIENT_PORTS    client ports, comma-separated   (23851,23852,23853)
#   ZABKIT_CLUSTER_QUORUM_PORTS    quorum (peer) ports              (23861,23862,23863)
#   ZABKIT_CLUSTER_ELECTION_PORTS  election ports (parsed, not opened by zabkit)
#                                                                   (23871,23872,23873)
#   ZABKIT_CLUSTER_METRICS_PORTS   Prometheus /metrics ports, comma-separated
#                                  (unset: no metrics endpoint)
#   ZABKIT_CLUSTER_TICK_MS         tickTime in ms                   (1000)
#   ZABKIT_CLUSTER_START_TIMEOUT   seconds to wait for the quorum   (60)
#   ZABKIT_CLUSTER_LOG_LEVEL       server log level: debug, info, warn, error (info)
#   ZABKIT_BIN                     use this zabkit binary instead of building
#                                  ./cmd/zabkit of this checkout into DIR/zabkit
#   GO                             go binary                        (go on PATH)
#
# The zoo.cfg files are standard ZooKeeper ones (the keys zk-ensemble.sh writes,
# minus the JVM-only ones), so the two scripts give comparable clusters:
# minSessionTimeout=1000, every four-letter word enabled, TTL nodes enabled.
set -euo pipefail

cmd="${1:-}"
dir=$(realpath -m -- "${2:-/tmp/zabkit-cluster}")
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

IFS=, read -r -a client_ports <<<"${ZABKIT_CLUSTER_CLIENT_PORTS:-23851,23852,23853}"
IFS=, read -r -a quorum_ports <<<"${ZABKIT_CLUSTER_QUORUM_PORTS:-23861,23862,23863}"
IFS=, read -r -a election_ports <<<"${ZABKIT_CLUSTER_ELECTION_PORTS:-23871,23872,23873}"
metrics_ports=()
[ -n "${ZABKIT_CLUSTER_METRICS_PORTS:-}" ] && IFS=, read -r -a metrics_ports <<<"$ZABKIT_CLUSTER_METRICS_PORTS"
tick_ms="${ZABKIT_CLUSTER_TICK_MS:-1000}"
start_timeout="${ZABKIT_CLUSTER_START_TIMEOUT:-60}"
log_level="${ZABKIT_CLUSTER_LOG_LEVEL:-info}"
go="${GO:-go}"
bin="$dir/zabkit"

me=zabkit-cluster
start_poll=0.2
stop_poll=0.1
# shellcheck source=scripts/lib/servers.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/servers.sh"

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_ports() {
  [ ${#metrics_ports[@]} -eq 0 ] || [ ${#metrics_ports[@]} -eq 3 ] ||
    die "need exactly 3 metrics ports (got ${#metrics_ports[@]})"
  check_server_ports "${metrics_ports[@]}"
  if ! [[ "$tick_ms" =~ ^[0-9]+$ ]] || [ "$tick_ms" -eq 0 ]; then die "bad ZABKIT_CLUSTER_TICK_MS: '$tick_ms'"; fi
  [[ "$start_timeout" =~ ^[0-9]+$ ]] || die "bad ZABKIT_CLUSTER_START_TIMEOUT: '$start_timeout'"
}

# build_binary puts the zabkit binary at DIR/zabkit: a copy of ZABKIT_BIN, or
# ./cmd/zabkit of the checkout this script lives in.
build_binary() {
  if [ -n "${ZABKIT_BIN:-}" ]; then
    [ -x "$ZABKIT_BIN" ] || die "ZABKIT_BIN=$ZABKIT_BIN is not an executable"
    cp -f -- "$ZABKIT_BIN" "$bin.new"
  else
    command -v "$go" >/dev/null || die "go not found (set GO, or ZABKIT_BIN to a built zabkit)"
    log "building $repo/cmd/zabkit into $bin"
    (cd -- "$repo" && "$go" build -o "$bin.new" ./cmd/zabkit) >&2 || die "go build failed"
  fi
  mv -f -- "$bin.new" "$bin"
}

write_config() {
  local n=$1 sdir="$dir/server$1" i
  mkdir -p "$sdir/data"
  printf '%s\n' "$n" >"$sdir/data/myid"
  {
    echo "# written by scripts/zabkit-cluster.sh"
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
    echo "autopurge.snapRetainCount=3"
    echo "autopurge.purgeInterval=1"
    if [ ${#metrics_ports[@]} -eq 3 ]; then
      echo "metricsProvider.httpHost=127.0.0.1"
      echo "metricsProvider.httpPort=${metrics_ports[n - 1]}"
    fi
    for i in 1 2 3; do
      echo "server.$i=127.0.0.1:${quorum_ports[i - 1]}:${election_ports[i - 1]}"
    done
  } >"$sdir/zoo.cfg"
}

start_server() {
  local n=$1 sdir="$dir/server$1"
  nohup "$bin" server -log-level "$log_level" "$sdir/zoo.cfg" \
    >>"$sdir/server.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$sdir/pid"
}

do_start() {
  mkdir -p "$dir"

  local running
  running=$(running_servers)
  [ "$running" -ne 0 ] ||
    refuse_used_ports 'ZABKIT_CLUSTER_*_PORTS' "${client_ports[@]}" "${quorum_ports[@]}" "${metrics_ports[@]}"
  # Rebuild only when no server runs the binary (it is replaced in place).
  if [ "$running" -eq 0 ] || [ ! -x "$bin" ]; then build_binary; fi

  start_servers
  do_status >&2
  connect_string
}

dispatch "$cmd"
