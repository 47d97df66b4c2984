#!/usr/bin/env bash
# Runs every load benchmark once, one after another, on both back ends, and keeps each one's output in
# bench-results/<UTC time>/ (or the folder given as $1). See docs/benchmarks.md for what each measures.
# Everything runs against services this script's bench starts on 127.0.0.1; each run is bounded in time.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release src/Analyzer -nologo -v q >/dev/null && dotnet build -c Release bench/Analyzer.Bench -nologo -v q >/dev/null || exit 1
{ echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (src modified)')"; echo "date: $(date -u +%Y-%m-%dT%H:%MZ)";
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"; } | tee "$out/README.txt"

status=0
bench() {
  local name=$1; shift
  echo "== $name: analyzer-bench $*"
  timeout 25m dotnet run -c Release --no-build --project bench/Analyzer.Bench -- "$@" 2>&1 | tee "$out/$name.txt"
  local code=${PIPESTATUS[0]}
  [ "$code" -eq 0 ] || { echo "== $name exited with $code"; status=1; }
}

big=$(mktemp --suffix=.csv)
trap 'rm -f "$big"' EXIT
dotnet run -c Release --no-build --project bench/Analyzer.Bench -- gen-csv --rows 1000000 --out "$big"
airports=tests/Analyzer.Tests/Datasets/data/airports.dat
airport_columns=airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source

for db in postgres sqlite; do
  bench "workflow-$db-c1" workflow --start "$db" --citizens 10000 --relations 1000 --rounds 10 --concurrency 1 --seed 1
  bench "workflow-$db-c4" workflow --start "$db" --citizens 10000 --relations 1000 --rounds 10 --concurrency 4 --seed 1
  # 10 rounds by 4 clients last about a second: 40 give a steadier workflows/s.
  bench "workflow-$db-c4-r40" workflow --start "$db" --citizens 10000 --relations 1000 --rounds 40 --concurrency 4 --seed 1
  bench "workflow-$db-text256" workflow --start "$db" --citizens 10000 --relations 1000 --rounds 10 --concurrency 1 --seed 1 --text-length 256
  bench "wrk-$db" wrk --start "$db" --endpoint birthdays --threads 2 --connections 64 --duration 10s
  bench "scale-$db" scale --start "$db" --sizes 1000,10000,100000,1000000 --time-limit 20m
  bench "csv-airports-$db" csv-load --start "$db" --file "$airports" --header false --null '\N' --columns "$airport_columns" --repeat 3
  bench "csv-1m-$db" csv-load --start "$db" --file "$big" --name big_1m
  bench "geo-$db" geo --start "$db" --airports "$airports"
done
bench geo-postgres-fallback geo --start postgres --postgis off --airports "$airports"
bench floors floors --start postgres --citizens 10000 --relations 1000 --seed 1 --repeat 10
echo "results in $out"
exit $status
