#!/usr/bin/env bash
# N analyzer replicas on one PostgreSQL database, on loopback ports, and Debian's nginx in front of them with
# deploy/nginx/analyzer.conf (least_conn, passive health checks, request id, body limits) and an upstream file
# generated here. Runs in the foreground until SIGINT/SIGTERM, then stops nginx and every replica it started.
#
# Usage: deploy/replicas.sh --db postgresql://... [--replicas N] [--port P] [--replica-ports "P1 P2 ..."] [--dir DIR]
#                           [-- ANALYZER COMMAND...]
#   --db             the one database every replica uses (PostgreSQL; SQLite is one process's file)
#   --replicas       how many replicas (default 2)
#   --port           nginx's port on 127.0.0.1 (default 8080)
#   --replica-ports  the replicas' ports on 127.0.0.1 (default: free ones)
#   --dir            where the generated configuration, logs and pid files go (default: a new temporary folder)
#   ANALYZER COMMAND how to run the service (default: analyzer on PATH), e.g. -- dotnet artifacts/bin/analyzer.dll
# Other settings reach the replicas through ANALYZER_* variables (ANALYZER_AUTH_SECRET_FILE, ANALYZER_LOG_LEVEL, ...).
#
# In DIR: nginx.conf, analyzer.conf (deploy/nginx/analyzer.conf listening on 127.0.0.1:P), analyzer-upstream.conf,
# nginx.log, replica-I.log, replica-I.pid and replica-I.port (I from 1), and a file "ready" once nginx answers
# GET /health/ready with 200 (tests/Analyzer.Tests/Replicas/ReplicaTests.cs waits for it).
#
# The replicas all start at once: the first to take the migrations' advisory lock migrates, the others wait for it
# and find nothing left to do. gRPC is off (--grpc-port 0): nginx here proxies HTTP/1.1 only. A replica stopped with
# SIGTERM serves 5 s more with "Connection: close" (--shutdown-drain 5, above the 4 s of nginx's upstream
# keepalive_timeout), so that it never closes an idle connection nginx is sending a POST on.
# Retries: nginx passes GET/HEAD (idempotent) to another replica on a refused connection, a timeout or a 502/503/504;
# POST and PATCH go to another replica only when the first could not be connected to (the request was not sent),
# never after they were sent (no "non_idempotent" in proxy_next_upstream): a PATCH that reached a replica killed
# in the middle answers 502 and was applied whole or not at all (one transaction).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
db=""
replicas=2
port=8080
replica_ports=""
dir=""
while [ $# -gt 0 ]; do
  case $1 in
    --db) db=$2; shift 2 ;;
    --replicas) replicas=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --replica-ports) replica_ports=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "replicas.sh: unknown argument $1 (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$db" ] || { echo "replicas.sh: --db postgresql://... is required" >&2; exit 2; }
analyzer=("$@")
[ ${#analyzer[@]} -gt 0 ] || analyzer=(analyzer)
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "replicas.sh: nginx is not installed (Debian: apt-get install nginx)" >&2; exit 2; }
[ -n "$dir" ] || dir=$(mktemp -d -t analyzer-replicas-XXXXXX)
mkdir -p "$dir/temp"
# nginx started by root runs its workers as nobody: they must reach the temp folders (nginx makes those theirs).
chmod go+x "$dir"
rm -f "$dir/ready"

# A port nobody listens on: connecting to it is refused. (Another process may take it before a replica does;
# that replica then exits with "address already in use" and this script stops.)
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
if [ -z "$replica_ports" ]; then
  for _ in $(seq "$replicas"); do replica_ports="$replica_ports $(free_port)"; done
fi
read -r -a ports <<< "$replica_ports"
[ ${#ports[@]} -eq "$replicas" ] || { echo "replicas.sh: --replica-ports names ${#ports[@]} ports for $replicas replicas" >&2; exit 2; }

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 143' INT TERM

# passive health checks: after 3 failed attempts within 10 s a replica gets no requests for 10 s.
: > "$dir/analyzer-upstream.conf"
for p in "${ports[@]}"; do echo "server 127.0.0.1:$p max_fails=3 fail_timeout=10s;" >> "$dir/analyzer-upstream.conf"; done
sed -e "s/listen 80;/listen 127.0.0.1:$port;/" -e "/listen \[::\]:80;/d" "$here/nginx/analyzer.conf" > "$dir/analyzer.conf"
cat > "$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
daemon off;
events {}
http {
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    include analyzer.conf;
}
EOF
"$nginx" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log"

for i in $(seq "$replicas"); do
  p=${ports[$((i - 1))]}
  "${analyzer[@]}" serve --db "$db" --api-address 127.0.0.1 --api-port "$p" --grpc-port 0 --shutdown-drain 5 > "$dir/replica-$i.log" 2>&1 &
  pids+=($!)
  echo $! > "$dir/replica-$i.pid"
  echo "$p" > "$dir/replica-$i.port"
done
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" > "$dir/nginx.log" 2>&1 &
pids+=($!)

# Ready when every replica answers /health/ready directly, then nginx does.
for i in $(seq "$replicas"); do
  p=${ports[$((i - 1))]}
  for attempt in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$p/health/ready" && break
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "replicas.sh: replica $i exited:" >&2; tail -n 20 "$dir/replica-$i.log" >&2; exit 1; }
    [ "$attempt" -lt 300 ] || { echo "replicas.sh: replica $i not ready after 60 s" >&2; exit 1; }
    sleep 0.2
  done
done
until curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready"; do
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "replicas.sh: nginx exited:" >&2; cat "$dir/nginx-error.log" >&2; exit 1; }
  sleep 0.1
done
touch "$dir/ready"
echo "replicas.sh: $replicas replicas (ports ${ports[*]}) behind nginx on http://127.0.0.1:$port; files in $dir; Ctrl-C stops them"
while :; do
  # Keep serving while any replica lives (the test kills one on purpose); stop when nginx or every replica is gone.
  alive=0
  for pid in "${pids[@]:0:$replicas}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "replicas.sh: nginx exited" >&2; exit 1; }
  [ "$alive" -gt 0 ] || { echo "replicas.sh: every replica exited" >&2; exit 1; }
  sleep 1 &
  wait $! || true
done
