#!/usr/bin/env bash
# Time from exec to the first 200 of GET /health, RUNS times (a fresh SQLite database each run, migrations included),
# with the CPU time (user + system) the process used until then: the CPU figure is the one to compare on a busy machine.
# Usage: deploy/startup-time.sh EXECUTABLE [RUNS]   e.g. deploy/startup-time.sh artifacts/publish/single-file/analyzer 10
# docs/deploy.md has the figures measured with it. Needs curl.
set -euo pipefail
exe=$1
runs=${2:-10}
port=${PORT:-18080}
ticks=$(getconf CLK_TCK)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  "$exe" --api-address 127.0.0.1 --api-port "$port" --db "sqlite://$dir/analyzer.db" --log-level Warning >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do
    kill -0 "$pid" 2>/dev/null || { echo "the service exited" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s%N)
  read -r -a stat < "/proc/$pid/stat"
  echo "wall_ms=$(( (end - start) / 1000000 )) cpu_ms=$(( (stat[13] + stat[14]) * 1000 / ticks ))"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
