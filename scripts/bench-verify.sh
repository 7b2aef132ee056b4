#!/usr/bin/env bash
# Forward-auth benchmark: what does `GET /auth/verify` cost per credential kind?
#
# Builds the release binary, serves it from a fresh PostgreSQL database, and
# loads /auth/verify with wrk using, in turn, an authtoken cookie, an OAuth
# access token (client_credentials), a signed server token and a browser token
# (with its trusted Origin and the user's cookie), next to /healthz in the same
# run. Prints requests/s, p99 and the ratio of each to /healthz, and writes
# bench-results/verify-<date>.txt.
#
# Usage: scripts/bench-verify.sh      (DURATION=10s WRK_THREADS=2 WRK_CONNECTIONS=32)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

PORT=18083
BASE_URL="http://localhost:$PORT"
DB_NAME=tessera_bench_verify
BENCH_USER=bench
BENCH_PASSWORD=bench-password-123
APP_ORIGIN=https://app.example.com

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

tessera() { "$BENCH_BIN" "$@"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

printf '%s' "$BENCH_PASSWORD" | tessera user create --site default "$BENCH_USER" --role pro --password-stdin >/dev/null
AUTHTOKEN=$(bench_login "$BASE_URL" "$BENCH_USER" "$BENCH_PASSWORD")

client=$(tessera client create --site default --name bench --redirect-uri http://127.0.0.1:9/cb \
    --scopes "content:read" --grant-types client_credentials --json)
CLIENT_ID=$(json_field client_id <<<"$client")
CLIENT_SECRET=$(json_field client_secret <<<"$client")
ACCESS_TOKEN=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
    "$BASE_URL/oauth/token" | json_field access_token)

server=$(tessera server-token create --site default --name bench --user "$BENCH_USER" --json)
SERVER_KEY=$(json_field key <<<"$server")
SERVER_SECRET=$(json_field secret <<<"$server")
# Valid for 300 s either way: far longer than one run.
epoch=$(date +%s)
user="=$BENCH_USER"
sig=$(printf '%s' "${SERVER_KEY}_${epoch}_${user}" | openssl dgst -sha256 -hmac "$SERVER_SECRET" -r | cut -d' ' -f1)
SERVER_TOKEN="tkn_${SERVER_KEY}_${epoch}_${user}_${sig}"

browser=$(tessera browser-token create --site default --origins "$APP_ORIGIN" --name bench --json)
BROWSER_KEY=$(json_field key <<<"$browser")

VERIFY="$BASE_URL/auth/verify"
declare -A HEADERS=(
    [authtoken]="Cookie: authtoken=$AUTHTOKEN"
    [oauth]="Authorization: Bearer $ACCESS_TOKEN"
    [server]="X-Deki-Token: $SERVER_TOKEN"
)
check() {
    local kind=$1 expected=$2
    shift 2
    local got
    got=$(curl -sS -o /dev/null -D - "$@" "$VERIFY" | awk -F': ' 'tolower($1) == "x-tessera-credential" { gsub(/\r/, "", $2); print $2 }')
    [[ "$got" == "$expected" ]] || bench_die "/auth/verify with the $kind credential answered credential '$got', expected '$expected'"
}
check authtoken authtoken -H "${HEADERS[authtoken]}"
check oauth oauth -H "${HEADERS[oauth]}"
check server server -H "${HEADERS[server]}"
check browser browser -H "X-Deki-Token: $BROWSER_KEY" -H "Origin: $APP_ORIGIN" -H "${HEADERS[authtoken]}"

bench_wrk healthz "$BASE_URL/healthz"
H_RPS=$BENCH_RPS H_P99=$BENCH_P99_MS
declare -A RPS P99 NON2XX
for kind in authtoken oauth server; do
    bench_wrk "$kind" "$VERIFY" -H "${HEADERS[$kind]}"
    RPS[$kind]=$BENCH_RPS P99[$kind]=$BENCH_P99_MS NON2XX[$kind]=$BENCH_NON2XX
done
bench_wrk browser "$VERIFY" -H "X-Deki-Token: $BROWSER_KEY" -H "Origin: $APP_ORIGIN" -H "${HEADERS[authtoken]}"
RPS[browser]=$BENCH_RPS P99[browser]=$BENCH_P99_MS NON2XX[browser]=$BENCH_NON2XX

mkdir -p bench-results
RESULT="bench-results/verify-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Tessera forward-auth benchmark"
    bench_context
    echo "server:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=$RUST_LOG"
    echo
    printf '%-28s %12s %10s %10s %8s\n' "request" "req/s" "p99 ms" "/healthz" "non-2xx"
    printf '%-28s %12s %10s %10s %8s\n' "/healthz" "$H_RPS" "$H_P99" "1.00" 0
    for kind in authtoken oauth server browser; do
        printf '%-28s %12s %10s %10s %8s\n' "/auth/verify ($kind)" "${RPS[$kind]}" "${P99[$kind]}" \
            "$(bench_ratio "${RPS[$kind]}" "$H_RPS")" "${NON2XX[$kind]}"
    done
} | tee "$RESULT"
bench_log "written to $RESULT"
for kind in authtoken oauth server browser; do
    ((NON2XX[$kind] == 0)) || bench_die "some /auth/verify ($kind) responses were not 2xx"
done
