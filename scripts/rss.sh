#!/usr/bin/env bash
# Idle memory of a release Tessera (issue 11, item 7: <= 30 MB), on SQLite
# and on PostgreSQL: VmRSS a few seconds after start, then after a short,
# bounded load on loopback (client_credentials tokens, then forward-auth
# with a bearer token) once the server is idle again.
#
# Usage: scripts/rss.sh
#   LOAD=5s        length of each wrk run (default 5s)
#   SKIP_BUILD=1   use target/release/tessera as it is
#   BACKENDS="sqlite"   only these (default "sqlite postgres")
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-ops.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-ops.sh"
bench_init
bench_require_wrk
command -v jq >/dev/null || bench_apt_install jq
ops_build

LOAD=${LOAD:-5s}
DURATION=$LOAD
declare -A STARTED=() LOADED=() RPS=()

for backend in ${BACKENDS:-sqlite postgres}; do
    ops_database "$backend" tessera_rss
    ops_start "$BENCH_WORKDIR/$backend.log"
    sleep 3
    STARTED[$backend]=$(bench_rss_kb "$BENCH_SERVER_PID")
    bench_wrk "$backend-cc" "$OPS_URL/oauth/token" \
        -s "$BENCH_ROOT/bench/lua/client_credentials.lua"
    RPS[$backend]=$BENCH_RPS
    bench_wrk "$backend-fa" "$OPS_URL/auth/verify" -H "Authorization: Bearer $(ops_bearer)"
    sleep 5
    LOADED[$backend]=$(bench_rss_kb "$BENCH_SERVER_PID")
    bench_stop_pid "$BENCH_SERVER_PID"
done

printf '\n%-10s %16s %22s %12s\n' backend "RSS after start" "RSS after load (idle)" "tokens/s"
for backend in ${BACKENDS:-sqlite postgres}; do
    printf '%-10s %16s %22s %12s\n' "$backend" "$(bench_mib "${STARTED[$backend]}")" \
        "$(bench_mib "${LOADED[$backend]}")" "${RPS[$backend]}"
done
