# shellcheck shell=bash disable=SC2154 # me, dir, *_ports, stop_poll: set by the caller
# servers.sh — what scripts/zk-ensemble.sh and scripts/zabkit-cluster.sh share:
# logging, the connect string, finding the servers they started (pid files
# checked against /proc), four-letter words, stop, status and the command
# dispatch. Sourced, not run. The caller sets:
#   me              name for log lines
#   dir             the cluster's directory (DIR/serverN/{zoo.cfg,pid})
#   client_ports, quorum_ports, election_ports   arrays of 3 ports each
#   stop_poll, start_poll   seconds between checks while servers exit, start
#   start_timeout   seconds start_servers waits for all three to serve
# and defines do_start, usage, check_ports, and for start_servers
# write_config and start_server.

log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { log "$*"; exit 1; }

# check_server_ports validates the three port arrays and any extra ports given.
check_server_ports() {
  if [ ${#client_ports[@]} -ne 3 ] || [ ${#quorum_ports[@]} -ne 3 ] || [ ${#election_ports[@]} -ne 3 ]; then
    die "need exactly 3 client, quorum and election ports (got ${#client_ports[@]}, ${#quorum_ports[@]}, ${#election_ports[@]})"
  fi
  local p
  for p in "${client_ports[@]}" "${quorum_ports[@]}" "${election_ports[@]}" "$@"; do
    if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -eq 0 ] || [ "$p" -ge 65536 ]; then die "bad port: '$p'"; fi
  done
}

connect_string() {
  local s="" p
  for p in "${client_ports[@]}"; do s="${s:+$s,}127.0.0.1:$p"; done
  printf '%s\n' "$s"
}

# server_pid prints the pid of server N if it is alive and is the one we started.
server_pid() {
  local n=$1 pidfile="$dir/server$1/pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: the process must run our config.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/server$n/zoo.cfg" || return 1
  printf '%s\n' "$pid"
}

# four_letter sends a four-letter word to 127.0.0.1:PORT and prints the reply.
four_letter() {
  local port=$1 word=$2
  # shellcheck disable=SC2016 # $0 and $1 expand in the inner shell
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "%s" "$1" >&3
    cat <&3
  ' "$port" "$word" 2>/dev/null
}

server_mode() {
  { four_letter "$1" srvr || true; } | sed -n 's/^Mode: //p'
}

port_in_use() {
  ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# running_servers prints how many servers of DIR run.
running_servers() {
  local n c=0
  for n in 1 2 3; do
    if server_pid "$n" >/dev/null; then c=$((c + 1)); fi
  done
  printf '%s\n' "$c"
}

# refuse_used_ports HINT PORT... fails if another process listens on one of
# the ports; HINT names the variables that move them.
refuse_used_ports() {
  local hint=$1 p
  shift
  for p in "$@"; do
    port_in_use "$p" && die "port $p is in use by another process (set $hint)"
  done
  return 0
}

# start_servers starts each server not yet running (write_config N and
# start_server N are the caller's; start_server writes DIR/serverN/pid) and
# waits up to start_timeout seconds until all three serve as leader or
# follower, checking every start_poll seconds.
start_servers() {
  local n
  for n in 1 2 3; do
    if server_pid "$n" >/dev/null; then
      log "server $n already running (pid $(server_pid "$n"))"
      continue
    fi
    write_config "$n"
    start_server "$n"
    log "server $n started (pid $(cat "$dir/server$n/pid"), client port ${client_ports[n - 1]}, log $dir/server$n/server.log)"
  done

  local deadline=$((SECONDS + start_timeout)) ready mode
  while :; do
    ready=0
    for n in 1 2 3; do
      server_pid "$n" >/dev/null || { tail -n 30 "$dir/server$n/server.log" >&2 || true; die "server $n exited"; }
      mode=$(server_mode "${client_ports[n - 1]}")
      case "$mode" in leader | follower) ready=$((ready + 1)) ;; esac
    done
    [ "$ready" -eq 3 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      do_status >&2 || true
      die "servers not serving after ${start_timeout}s (logs under $dir)"
    fi
    sleep "$start_poll" # polling interval while the servers start, not a synchronization
  done
}

# do_stop sends SIGTERM to the servers started in DIR and waits up to 20s
# for them to exit (then SIGKILL).
do_stop() {
  local n pid pids=()
  for n in 1 2 3; do
    if pid=$(server_pid "$n"); then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$dir/server$n/pid"
  done
  [ ${#pids[@]} -eq 0 ] && { log "no server running in $dir"; return 0; }
  local deadline=$((SECONDS + 20)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "killing ${alive[*]} with SIGKILL"
      kill -9 "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep "$stop_poll" # polling interval while the servers exit
  done
  log "stopped ${#pids[@]} server(s) in $dir"
}

# do_status prints each server's mode; it fails unless all three serve.
do_status() {
  local n ok=0 pid mode
  for n in 1 2 3; do
    if pid=$(server_pid "$n"); then
      mode=$(server_mode "${client_ports[n - 1]}")
      printf 'server %s: pid %s, 127.0.0.1:%s, mode %s\n' "$n" "$pid" "${client_ports[n - 1]}" "${mode:-not serving}"
      case "$mode" in leader | follower) ok=$((ok + 1)) ;; esac
    else
      printf 'server %s: not running (127.0.0.1:%s)\n' "$n" "${client_ports[n - 1]}"
    fi
  done
  [ "$ok" -eq 3 ]
}

# dispatch runs the command line's command: start, stop, status or clean.
dispatch() {
  check_ports
  case "$1" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  clean)
    do_stop
    case "$dir" in / | "") die "refusing to delete '$dir'" ;; esac
    rm -rf -- "$dir"
    ;;
  *) usage ;;
  esac
}
