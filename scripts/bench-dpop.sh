#!/usr/bin/env bash
# DPoP (RFC 9449) figures, in one run:
#
#   1. DPoP proof verifications per second, in process, per algorithm
#      (`cargo bench --bench signing`: parse, key, signature and claims, one
#      thread; the jti replay check needs the store and is not included);
#   2. the token endpoint's client_credentials rate with a DPoP proof on every
#      request divided by the rate without, against one Tessera (release
#      build, fresh PostgreSQL database), same client, same wrk settings,
#      in alternating rounds.
#      Target (issue 10, stock cryptography): ratio at least 0.80.
#
# Proofs are signed before each DPoP run (examples/dpop_proofs.rs, one fresh
# key, a unique jti each, iat = when they were made), enough for the plain
# run's rate over the whole run and then some; the server accepts proofs up
# to an hour old for this (TESSERA_DPOP_PROOF_MAX_AGE_SECS=3600), which changes
# no work per proof. Each proof is sent once, so every request also pays the
# replay check (a row in dpop_proofs, group-committed).
#
# Usage: scripts/bench-dpop.sh
#   ALG=ES256             proof algorithm: ES256 (default), EdDSA or RS256
#   DURATION=10s          length of each wrk run (seconds: 10s, or minutes: 1m)
#   WRK_THREADS, WRK_CONNECTIONS   (default 2 and 32)
#   ROUNDS=3              plain and DPoP runs, alternating; the verdict is
#                         the median of the rounds' ratios
#   WARMUP=3s             unmeasured run without proofs first (0: none)
#   SKIP_BUILD=1          use the release binary and example as they are
#   SKIP_MICRO=1          skip the in-process verification figures
#   BENCH_KEEP_WORKDIR=1  keep the server log and raw files
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

ALG=${ALG:-ES256}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
PORT=18083
URL="http://localhost:$PORT" # Tessera routes by Host: not 127.0.0.1
DB_NAME=tessera_bench_dpop
SCOPE=content:read
PROOF_TOOL=target/release/examples/dpop_proofs
LUA="$BENCH_ROOT/bench/lua/client_credentials_dpop.lua"
case $ALG in ES256 | EdDSA | RS256) ;; *) bench_die "ALG must be ES256, EdDSA or RS256" ;; esac

bench_require_wrk
command -v jq >/dev/null || bench_apt_install jq

if [[ -z "${SKIP_BUILD:-}" ]]; then
    bench_log "building the release binary and the proof generator"
    cargo build --release --bin tessera --example dpop_proofs
fi
[[ -x "$BENCH_BIN" && -x "$PROOF_TOOL" ]] || bench_die "build $BENCH_BIN and $PROOF_TOOL first"

# 1. In process, before the server starts, so nothing competes for the CPU.
MICRO="(skipped: SKIP_MICRO=1)"
if [[ -z "${SKIP_MICRO:-}" ]]; then
    bench_log "cargo bench --bench signing (DPoP proof verification)"
    cargo bench --bench signing >"$BENCH_WORKDIR/micro.txt" 2>&1 \
        || { tail -n 20 "$BENCH_WORKDIR/micro.txt" >&2; bench_die "cargo bench --bench signing failed"; }
    MICRO=$(sed -n '/^DPoP proofs/,$p' "$BENCH_WORKDIR/micro.txt")
    [[ -n "$MICRO" ]] || MICRO="(no DPoP lines in the bench output)"
fi

# 2. Over HTTP.
bench_ensure_postgres
bench_recreate_db "$DB_NAME"
export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$DB_NAME"
export TESSERA_LISTEN="127.0.0.1:$PORT"
export TESSERA_BASE_URL="$URL"
TESSERA_MASTER_KEY=$(head -c 32 /dev/urandom | base64 -w 0)
export TESSERA_MASTER_KEY
export TESSERA_DPOP_PROOF_MAX_AGE_SECS=3600
export RUST_LOG=warn
bench_start_server "$URL" "$BENCH_WORKDIR/tessera.log"

out=$("$BENCH_BIN" client create --site default --name bench-dpop --scopes "$SCOPE" \
    --grant-types client_credentials --json) || bench_die "tessera client create failed"
CLIENT_ID=$(jq -r .client_id <<<"$out")
SECRET=$(jq -r .client_secret <<<"$out")
BASIC_AUTH=$(bench_basic_auth "$CLIENT_ID" "$SECRET")
export BASIC_AUTH SCOPE WRK_THREADS

# One token each way, checked, before anything is measured.
"$PROOF_TOOL" "$URL/oauth/token" 1 "$ALG" >"$BENCH_WORKDIR/check-proof.txt"
for proof in "" "$(cat "$BENCH_WORKDIR/check-proof.txt")"; do
    want=Bearer
    args=(-u "$CLIENT_ID:$SECRET" -d grant_type=client_credentials -d "scope=$SCOPE")
    if [[ -n "$proof" ]]; then
        want=DPoP
        args+=(-H "DPoP: $proof")
    fi
    got=$(curl -sS "${args[@]}" "$URL/oauth/token" | jq -r '.token_type // .error')
    [[ $got == "$want" ]] || bench_die "a token request expecting $want got $got"
done

if [[ $WARMUP != 0 ]]; then
    bench_log "warm-up: wrk -d$WARMUP (no proofs)"
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" -s "$LUA" "$URL/oauth/token" \
        >"$BENCH_WORKDIR/warmup.txt" 2>&1 || bench_die "wrk (warm-up) failed"
fi

# Rounds: a plain run, then proofs are signed for the next run, then a
# DPoP run, ROUNDS times. One round's figures swing by 10-15 % on this kind
# of machine (the plain run is bound by commit latency, the DPoP run by CPU),
# so the verdict goes by the median of the rounds' ratios.
PLAIN_RATES=() DPOP_RATES=() RATIOS=() ROWS=() CHECKS=()
for ((round = 1; round <= ROUNDS; round++)); do
    unset DPOP_PROOFS
    bench_wrk "plain-$round" "$URL/oauth/token" -s "$LUA"
    plain_rps=$BENCH_RPS plain_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "plain-$round" ok)")

    # Proofs for the DPoP run: this round's plain rate, with half again to spare.
    count=$(awk -v r="$plain_rps" -v s="$(bench_seconds "$DURATION")" 'BEGIN { printf "%d\n", r * s * 1.5 + 2000 }')
    bench_log "signing $count $ALG proofs"
    "$PROOF_TOOL" "$URL/oauth/token" "$count" "$ALG" >"$BENCH_WORKDIR/proofs.txt" \
        || bench_die "the proof generator failed"
    export DPOP_PROOFS="$BENCH_WORKDIR/proofs.txt"
    bench_wrk "dpop-$round" "$URL/oauth/token" -s "$LUA"
    dpop_rps=$BENCH_RPS dpop_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "dpop-$round" ok)")

    ratio=$(bench_ratio "$dpop_rps" "$plain_rps")
    PLAIN_RATES+=("$plain_rps") DPOP_RATES+=("$dpop_rps") RATIOS+=("$ratio")
    ROWS+=("$(printf '%-6s | %10s %9s | %10s %9s | %s' "$round" "$plain_rps" "$plain_p99" "$dpop_rps" "$dpop_p99" "$ratio")")
done

RATIO=$(bench_median "${RATIOS[@]}")
VERDICT=$(awk -v r="$RATIO" 'BEGIN {
    printf "DPoP costs %.0f %% of the throughput (target: ratio at least 0.80): %s\n", (1 - r) * 100, (r >= 0.80) ? "met" : "NOT met"
}')

mkdir -p bench-results
RESULT="bench-results/dpop-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Tessera DPoP benchmark (RFC 9449)"
    bench_context
    echo "server:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=warn, $URL"
    echo "proofs:   $ALG, one key, signed before each DPoP run, each sent once"
    echo
    echo "In process, one thread (cargo bench --bench signing):"
    echo "$MICRO"
    echo
    echo "client_credentials, req/s and p99 ms, without DPoP (Bearer) and with a proof per request:"
    printf '%-6s | %10s %9s | %10s %9s | %s\n' "round" "Bearer" "p99 ms" "DPoP" "p99 ms" "ratio"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "median Bearer $(bench_median "${PLAIN_RATES[@]}") req/s, median DPoP $(bench_median "${DPOP_RATES[@]}") req/s"
    echo "ratio with/without (median of the rounds): $RATIO; $VERDICT"
    echo "wrk script checks: ${CHECKS[*]}"
    echo "1-minute load average at the end: $(cut -d ' ' -f 1 /proc/loadavg)"
} | tee "$RESULT"
for ((round = 1; round <= ROUNDS; round++)); do
    bench_append_raw "$RESULT" "plain-$round" "dpop-$round"
done
bench_log "written to $RESULT"

bench_require_checks "tokens of the expected type" "${CHECKS[@]}"
