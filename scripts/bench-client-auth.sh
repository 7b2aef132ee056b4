#!/usr/bin/env bash
# Client authentication by key (RFC 7523 2.2, private_key_jwt) against a
# shared secret (client_secret_basic), at the token endpoint, in one run:
# the client_credentials rate of a private_key_jwt client (ES256, a fresh
# assertion per request) divided by the rate of a client_secret_basic
# client, against one Tessera (release build, fresh PostgreSQL database),
# same scope, same wrk settings, alternating rounds.
# Target (issue 12): ratio at least 0.70.
#
# Assertions are signed before each private_key_jwt run
# (examples/client_assertions.rs, exp five minutes ahead, a unique jti
# each), enough for the secret run's rate over the whole run and then some.
# Each assertion is sent once, so every request also pays for its jti being
# recorded as used (a row in the shared store, group-committed with the
# token it pays for).
#
# Usage: scripts/bench-client-auth.sh
#   DURATION=10s          length of each wrk run (seconds: 10s, or minutes: 1m)
#   WRK_THREADS, WRK_CONNECTIONS   (default 2 and 32)
#   ROUNDS=3              secret and key runs, alternating; the verdict is
#                         the median of the rounds' ratios
#   WARMUP=3s             unmeasured run of each client first (0: none)
#   SKIP_BUILD=1          use the release binary and example as they are
#   BENCH_KEEP_WORKDIR=1  keep the server log and raw files
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
PORT=18084
URL="http://localhost:$PORT" # Tessera routes by Host: not 127.0.0.1
DB_NAME=tessera_bench_client_auth
SCOPE=content:read
TOOL=target/release/examples/client_assertions
SECRET_LUA="$BENCH_ROOT/bench/lua/client_credentials_dpop.lua"
KEY_LUA="$BENCH_ROOT/bench/lua/client_credentials_assertion.lua"

bench_require_wrk
command -v jq >/dev/null || bench_apt_install jq

if [[ -z "${SKIP_BUILD:-}" ]]; then
    bench_log "building the release binary and the assertion generator"
    cargo build --release --bin tessera --example client_assertions
fi
[[ -x "$BENCH_BIN" && -x "$TOOL" ]] || bench_die "build $BENCH_BIN and $TOOL first"

bench_ensure_postgres
bench_recreate_db "$DB_NAME"
export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$DB_NAME"
export TESSERA_LISTEN="127.0.0.1:$PORT"
export TESSERA_BASE_URL="$URL"
TESSERA_MASTER_KEY=$(head -c 32 /dev/urandom | base64 -w 0)
export TESSERA_MASTER_KEY
export RUST_LOG=warn
bench_start_server "$URL" "$BENCH_WORKDIR/tessera.log"

out=$("$BENCH_BIN" client create --site default --name bench-secret --scopes "$SCOPE" \
    --grant-types client_credentials --json) || bench_die "tessera client create (secret) failed"
SECRET_CLIENT=$(jq -r .client_id <<<"$out")
SECRET=$(jq -r .client_secret <<<"$out")
BASIC_AUTH=$(bench_basic_auth "$SECRET_CLIENT" "$SECRET")

"$TOOL" key "$BENCH_WORKDIR" || bench_die "the assertion generator cannot make a key"
out=$("$BENCH_BIN" client create --site default --name bench-key --scopes "$SCOPE" \
    --grant-types client_credentials --auth-method private_key_jwt --signing-alg ES256 \
    --public-key-file "$BENCH_WORKDIR/client.jwk" --json) || bench_die "tessera client create (key) failed"
KEY_CLIENT=$(jq -r .client_id <<<"$out")
AUD="$URL/oauth/token"
export BASIC_AUTH SCOPE WRK_THREADS

assertions() { # count -> $BENCH_WORKDIR/assertions.txt
    "$TOOL" sign "$BENCH_WORKDIR" "$KEY_CLIENT" "$AUD" "$1" >"$BENCH_WORKDIR/assertions.txt" \
        || bench_die "the assertion generator failed"
    export ASSERTIONS="$BENCH_WORKDIR/assertions.txt"
}

# One token each way, checked, before anything is measured.
got=$(curl -sS -u "$SECRET_CLIENT:$SECRET" -d grant_type=client_credentials -d "scope=$SCOPE" \
    "$URL/oauth/token" | jq -r '.token_type // .error')
[[ $got == Bearer ]] || bench_die "the client_secret_basic token request got $got"
assertions 1
got=$(curl -sS -d grant_type=client_credentials -d "scope=$SCOPE" \
    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
    --data-urlencode "client_assertion=$(cat "$ASSERTIONS")" \
    "$URL/oauth/token" | jq -r '.token_type // .error')
[[ $got == Bearer ]] || bench_die "the private_key_jwt token request got $got"

if [[ $WARMUP != 0 ]]; then
    bench_log "warm-up: wrk -d$WARMUP each way"
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" -s "$SECRET_LUA" "$URL/oauth/token" \
        >"$BENCH_WORKDIR/warmup.txt" 2>&1 || bench_die "wrk (warm-up) failed"
    assertions 20000
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" -s "$KEY_LUA" "$URL/oauth/token" \
        >>"$BENCH_WORKDIR/warmup.txt" 2>&1 || bench_die "wrk (warm-up) failed"
fi

SECRET_RATES=() KEY_RATES=() RATIOS=() ROWS=() CHECKS=()
for ((round = 1; round <= ROUNDS; round++)); do
    bench_wrk "secret-$round" "$URL/oauth/token" -s "$SECRET_LUA"
    secret_rps=$BENCH_RPS secret_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "secret-$round" ok)")

    count=$(awk -v r="$secret_rps" -v s="$(bench_seconds "$DURATION")" 'BEGIN { printf "%d\n", r * s * 1.5 + 2000 }')
    bench_log "signing $count ES256 client assertions"
    assertions "$count"
    bench_wrk "key-$round" "$URL/oauth/token" -s "$KEY_LUA"
    key_rps=$BENCH_RPS key_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "key-$round" ok)")

    ratio=$(bench_ratio "$key_rps" "$secret_rps")
    SECRET_RATES+=("$secret_rps") KEY_RATES+=("$key_rps") RATIOS+=("$ratio")
    ROWS+=("$(printf '%-6s | %10s %9s | %10s %9s | %s' "$round" "$secret_rps" "$secret_p99" "$key_rps" "$key_p99" "$ratio")")
done

RATIO=$(bench_median "${RATIOS[@]}")
VERDICT=$(awk -v r="$RATIO" 'BEGIN { printf "target: ratio at least 0.70: %s\n", (r >= 0.70) ? "met" : "NOT met" }')

mkdir -p bench-results
RESULT="bench-results/client-auth-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Tessera client authentication benchmark (private_key_jwt vs client_secret_basic)"
    bench_context
    echo "server:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=warn, $URL"
    echo "key:      ES256, registered as a JWK; a fresh assertion (unique jti) per request"
    echo
    echo "client_credentials, req/s and p99 ms:"
    printf '%-6s | %10s %9s | %10s %9s | %s\n' "round" "secret" "p99 ms" "key" "p99 ms" "ratio"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "median client_secret_basic $(bench_median "${SECRET_RATES[@]}") req/s, median private_key_jwt $(bench_median "${KEY_RATES[@]}") req/s"
    echo "ratio key/secret (median of the rounds): $RATIO; $VERDICT"
    echo "wrk script checks: ${CHECKS[*]}"
    echo "1-minute load average at the end: $(cut -d ' ' -f 1 /proc/loadavg)"
} | tee "$RESULT"
for ((round = 1; round <= ROUNDS; round++)); do
    bench_append_raw "$RESULT" "secret-$round" "key-$round"
done
bench_log "written to $RESULT"

bench_require_checks "tokens of the expected type" "${CHECKS[@]}"
