#!/usr/bin/env bash
# Measures the cluster on this machine's CPU: `infermesh bench` against the gateway of a local app host (1 silo,
# then 2 silos + redis-server) and against the same engine in-process (the baseline without gateway and Orleans).
# Usage: bench/cluster.sh [model-dir] [repetitions]   → Markdown on stdout (append it to bench/results/cluster.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
model=$(realpath "${1:-$repo/tests/fixtures/golden/tiny-llama}")
reps=${2:-3}
port=18080
cd "$repo"
dotnet build src/Cli -c Release --nologo -v q >/dev/null
dotnet build src/AppHost -c Release --nologo -v q >/dev/null
cli=src/Cli/bin/Release/net10.0/infermesh
apphost=src/AppHost/bin/Release/net10.0/InferMesh.AppHost
out=$(mktemp)

start_cluster() {
  ( cd src/AppHost && ASPNETCORE_URLS=http://localhost:15180 ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19180 \
    ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:20180 ASPIRE_ALLOW_UNSECURED_TRANSPORT=true \
    ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true DOTNET_ENVIRONMENT=Development \
    exec "$repo/$apphost" --Parameters:silos="$1" --Parameters:gateway-port=$port --Parameters:model="$model" ) >/tmp/infermesh-bench-apphost.log 2>&1 &
  apphost_pid=$!
  for _ in $(seq 1 100); do curl -s -m 2 "localhost:$port/healthz" | grep -q Healthy && return 0; sleep 2; done
  echo "cluster did not come up; see /tmp/infermesh-bench-apphost.log" >&2; exit 1
}
stop_cluster() { # the app host stops every silo, the gateway and redis-server; wait until they are gone
  kill -TERM "$apphost_pid"; wait "$apphost_pid" || true
  for _ in $(seq 1 60); do pgrep -f "InferMesh.(Silo|Gateway)" >/dev/null || return 0; sleep 1; done
}

run() { # label, bench args...
  local label=$1; shift
  echo "### $label (load average $(cut -d' ' -f1-3 /proc/loadavg))" >>"$out"
  "$cli" bench "$@" --out "$out" >/dev/null 2>&1
}

echo "# run $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, model $(basename "$model"), commit $(git rev-parse --short HEAD)" >>"$out"
# Each target runs its workload $reps+1 times in one process; the first run of each is the warm-up (JIT, pools).
start_cluster 1
run "1 silo, 16 sessions x 3 turns x 32 tokens" --url "http://localhost:$port/v1" --sessions 16 --turns 3 --max-tokens 32 --repeat $((reps + 1))
run "1 silo, 1 session x 40 turns x 1 token (per-request overhead)" --url "http://localhost:$port/v1" --sessions 1 --turns 40 --max-tokens 1 --repeat $((reps + 1))
stop_cluster
run "engine in-process, 16 sessions x 3 turns x 32 tokens" --engine "$model" --sessions 16 --turns 3 --max-tokens 32 --repeat $((reps + 1))
run "engine in-process, 1 session x 40 turns x 1 token" --engine "$model" --sessions 1 --turns 40 --max-tokens 1 --repeat $((reps + 1))
if command -v redis-server >/dev/null; then
  start_cluster 2
  run "2 silos + redis-server, 16 sessions x 3 turns x 32 tokens" --url "http://localhost:$port/v1" --sessions 16 --turns 3 --max-tokens 32 --repeat $((reps + 1))
  stop_cluster
fi
cat "$out"
