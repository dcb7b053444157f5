#!/usr/bin/env bash
# Measures the server against raw etcd on this machine and writes docs/benchmarks.md.
#   bench/run.sh --quick     under two minutes (1,000 listed pods, 10,000 for memory)
#   bench/run.sh             the full run (10,000 listed pods, 10,000 and 100,000 for memory)
#   bench/run.sh --only list,watch   selected workloads (create, update, get, list, watch, memory, encoding)
#   bench/run.sh --only create --concurrency 1,32   only those create rows
# BENCH_SERVER_X=v in the environment reaches the server alone as X=v (runtime knobs to try);
# BENCH_ARGS="--flag=v ..." adds server flags (configurations to compare, e.g. --watch-cache=false).
# Starts its own etcd and server on free loopback ports; needs etcd installed (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
./scripts/install-deps.sh
dotnet build ApiServer.sln -c Release -nologo -v quiet -tl:off
exec dotnet bench/Bench/bin/Release/net10.0/Bench.dll "$@"
