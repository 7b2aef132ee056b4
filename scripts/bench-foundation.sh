#!/usr/bin/env bash
# Foundation benchmark: what does resolving the caller cost?
#
# Builds the release binary, serves it from a fresh PostgreSQL database, signs
# a `pro` user in through the login form, and loads two endpoints with wrk:
#
#   /healthz             no credential, no database: the floor of the stack
#   /api/users/current   authtoken cookie: signature check + session lookup
#
# and reports requests/s, p99 latency, their ratio, and the server's memory
# at idle and at peak. The summary is printed and written to
# bench-results/foundation-<date>.txt (raw wrk output below it).
#
# Usage: scripts/bench-foundation.sh
#   DURATION=30s          length of each wrk run (default 10s)
#   WRK_THREADS, WRK_CONNECTIONS   (default 2 and 32)
#   BENCH_KEEP_WORKDIR=1  keep the server log and raw files
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

PORT=18080
BASE_URL="http://localhost:$PORT"   # the server routes by Host, so not 127.0.0.1
DB_NAME=tessera_bench
BENCH_USER=bench
BENCH_PASSWORD=bench-password-123

bench_log "building the release binary"
cargo build --release

bench_require_wrk
bench_ensure_postgres
bench_recreate_db "$DB_NAME"

export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$DB_NAME"
export TESSERA_LISTEN="127.0.0.1:$PORT"
export TESSERA_BASE_URL="$BASE_URL"
TESSERA_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export TESSERA_MASTER_KEY
export RUST_LOG=warn

bench_start_server "$BASE_URL"

bench_log "creating user $BENCH_USER (role pro)"
printf '%s' "$BENCH_PASSWORD" \
    | "$BENCH_BIN" user create --site default "$BENCH_USER" --role pro --password-stdin \
        >"$BENCH_WORKDIR/user-create.log" 2>&1 \
    || { cat "$BENCH_WORKDIR/user-create.log" >&2; bench_die "tessera user create failed"; }

bench_log "signing in as $BENCH_USER"
AUTHTOKEN=$(bench_login "$BASE_URL" "$BENCH_USER" "$BENCH_PASSWORD")
COOKIE_HEADER="Cookie: authtoken=$AUTHTOKEN"

# Benchmarking a stream of 401s would measure the wrong thing: check first.
current=$(curl -sS -H "$COOKIE_HEADER" "$BASE_URL/api/users/current") \
    || bench_die "GET $BASE_URL/api/users/current failed"
if ! grep -Eq '"credential"[[:space:]]*:[[:space:]]*"authtoken"' <<<"$current"; then
    printf '%s\n' "$current" >&2
    bench_die "/api/users/current did not recognise the authtoken cookie"
fi

sleep 1
RSS_IDLE_KB=$(bench_rss_kb "$BENCH_SERVER_PID")

bench_wrk healthz "$BASE_URL/healthz"
H_RPS=$BENCH_RPS H_P99=$BENCH_P99_MS H_PEAK=$BENCH_RSS_PEAK_KB
H_NON2XX=$BENCH_NON2XX H_ERRORS=$BENCH_SOCKET_ERRORS

bench_wrk current "$BASE_URL/api/users/current" -H "$COOKIE_HEADER"
C_RPS=$BENCH_RPS C_P99=$BENCH_P99_MS C_PEAK=$BENCH_RSS_PEAK_KB
C_NON2XX=$BENCH_NON2XX C_ERRORS=$BENCH_SOCKET_ERRORS

RSS_PEAK_KB=$(printf '%s\n' "$H_PEAK" "$C_PEAK" | sort -n | tail -n 1)

mkdir -p bench-results
RESULT="bench-results/foundation-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Tessera foundation benchmark"
    bench_context
    echo "server:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=$RUST_LOG"
    echo
    printf '%-22s %12s %10s %12s %8s\n' "endpoint" "req/s" "p99 ms" "peak RSS" "non-2xx"
    printf '%-22s %12s %10s %12s %8s\n' "/healthz" "$H_RPS" "$H_P99" "$(bench_mib "$H_PEAK")" "$H_NON2XX"
    printf '%-22s %12s %10s %12s %8s\n' "/api/users/current" "$C_RPS" "$C_P99" "$(bench_mib "$C_PEAK")" "$C_NON2XX"
    echo
    echo "ratio current/healthz (req/s): $(bench_ratio "$C_RPS" "$H_RPS")"
    echo "RSS idle: $(bench_mib "$RSS_IDLE_KB"), peak under load: $(bench_mib "$RSS_PEAK_KB")"
    [[ -z "$H_ERRORS" ]] || echo "socket errors on /healthz: $H_ERRORS"
    [[ -z "$C_ERRORS" ]] || echo "socket errors on /api/users/current: $C_ERRORS"
} | tee "$RESULT"

{
    echo
    echo "---- raw wrk output: /healthz ----"
    cat "$BENCH_WORKDIR/wrk-healthz.txt"
    echo
    echo "---- raw wrk output: /api/users/current ----"
    cat "$BENCH_WORKDIR/wrk-current.txt"
} >>"$RESULT"

bench_log "written to $RESULT"

if ((H_NON2XX > 0 || C_NON2XX > 0)); then
    bench_die "some responses were not 2xx/3xx; the numbers above are not comparable"
fi
