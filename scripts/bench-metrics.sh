#!/usr/bin/env bash
# What scraping /metrics costs the token endpoint (issue 11: at most 2 %).
#
# One Tessera (release build, fresh PostgreSQL database) with its metrics
# listener on, so every run records the same series; client_credentials
# tokens with wrk, in alternating rounds: a run with nobody scraping, then a
# run with a scraper fetching /metrics every SCRAPE_INTERVAL seconds (curl,
# one request at a time, as Prometheus does). The verdict is the median of
# the rounds' ratios (scraped / not scraped), since one round swings by
# several per cent on a shared 2-core machine.
#
# Usage: scripts/bench-metrics.sh
#   DURATION=10s          length of each wrk run (seconds: 10s, or minutes: 1m)
#   WRK_THREADS, WRK_CONNECTIONS   (default 2 and 32)
#   ROUNDS=4              unscraped and scraped runs, alternating, which of
#                         the two goes first swapped each round
#   SCRAPE_INTERVAL=1     seconds between scrapes (Prometheus' usual is 15-60 s,
#                         so 1 s is a harsh case; 0.2 is harsher)
#   WARMUP=3s             unmeasured run first (0: none)
#   SKIP_BUILD=1          use the binary as it is
#   BENCH_BIN=…           the binary (default target/release/tessera)
#   BENCH_KEEP_WORKDIR=1  keep the server log and raw files
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

ROUNDS=${ROUNDS:-4}
WARMUP=${WARMUP:-3s}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-1}
PORT=18084
METRICS_PORT=18094
URL="http://localhost:$PORT" # Tessera routes by Host: not 127.0.0.1
METRICS_URL="http://127.0.0.1:$METRICS_PORT/metrics"
DB_NAME=tessera_bench_metrics
SCOPE=content:read
LUA="$BENCH_ROOT/bench/lua/client_credentials.lua"

bench_require_wrk
command -v jq >/dev/null || bench_apt_install jq

if [[ -z "${SKIP_BUILD:-}" ]]; then
    bench_log "building the release binary"
    cargo build --release --bin tessera
fi
[[ -x "$BENCH_BIN" ]] || bench_die "build $BENCH_BIN first"

bench_ensure_postgres
bench_recreate_db "$DB_NAME"
export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$DB_NAME"
export TESSERA_LISTEN="127.0.0.1:$PORT"
export TESSERA_METRICS_LISTEN="127.0.0.1:$METRICS_PORT"
export TESSERA_BASE_URL="$URL"
TESSERA_MASTER_KEY=$(head -c 32 /dev/urandom | base64 -w 0)
export TESSERA_MASTER_KEY
export RUST_LOG=warn
bench_port_free "http://127.0.0.1:$METRICS_PORT"
bench_start_server "$URL" "$BENCH_WORKDIR/tessera.log"

out=$("$BENCH_BIN" client create --site default --name bench-metrics --scopes "$SCOPE" \
    --grant-types client_credentials --json) || bench_die "tessera client create failed"
CLIENT_ID=$(jq -r .client_id <<<"$out")
SECRET=$(jq -r .client_secret <<<"$out")
BASIC_AUTH=$(bench_basic_auth "$CLIENT_ID" "$SECRET")
export BASIC_AUTH SCOPE

# One token, and the metrics listener answers with the series it counted.
got=$(curl -sS -u "$CLIENT_ID:$SECRET" -d grant_type=client_credentials -d "scope=$SCOPE" \
    "$URL/oauth/token" | jq -r '.token_type // .error')
[[ $got == Bearer ]] || bench_die "a token request got $got"
curl -fsS "$METRICS_URL" | grep -q '^tessera_tokens_issued_total{' \
    || bench_die "$METRICS_URL does not show tessera_tokens_issued_total"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$URL/metrics")
[[ $status == 404 ]] || bench_die "/metrics on the main listener answered $status, not 404"

if [[ $WARMUP != 0 ]]; then
    bench_log "warm-up: wrk -d$WARMUP"
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" -s "$LUA" "$URL/oauth/token" \
        >"$BENCH_WORKDIR/warmup.txt" 2>&1 || bench_die "wrk (warm-up) failed"
fi

# scraper_start FILE: fetch /metrics every SCRAPE_INTERVAL s until stopped,
# one line per scrape: "<http status> <seconds> <bytes>".
SCRAPER_PID=""
scraper_start() {
    local file=$1
    : >"$file"
    (
        while :; do
            curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' \
                --max-time 5 "$METRICS_URL" >>"$file" 2>/dev/null || echo "000 0 0" >>"$file"
            sleep "$SCRAPE_INTERVAL"
        done
    ) &
    SCRAPER_PID=$!
    BENCH_PIDS+=("$SCRAPER_PID")
}

scraper_stop() {
    kill "$SCRAPER_PID" 2>/dev/null || true
    wait "$SCRAPER_PID" 2>/dev/null || true
}

PLAIN_RATES=() SCRAPED_RATES=() RATIOS=() ROWS=() CHECKS=() SCRAPES=()
run_plain() {
    bench_wrk "plain-$round" "$URL/oauth/token" -s "$LUA"
    plain_rps=$BENCH_RPS plain_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "plain-$round" ok)")
}
run_scraped() {
    scrapes="$BENCH_WORKDIR/scrapes-$round.txt"
    scraper_start "$scrapes"
    bench_wrk "scraped-$round" "$URL/oauth/token" -s "$LUA"
    scraper_stop
    scraped_rps=$BENCH_RPS scraped_p99=$BENCH_P99_MS
    CHECKS+=("$(bench_wrk_value "scraped-$round" ok)")
}
for ((round = 1; round <= ROUNDS; round++)); do
    # Every run leaves its tokens in the database, so a later run is a
    # little slower than an earlier one: odd rounds run the plain case
    # first, even rounds the scraped case, so neither always goes second.
    if ((round % 2)); then
        run_plain
        run_scraped
    else
        run_scraped
        run_plain
    fi
    # Scrapes made, failed, mean time (ms) and size of the last (bytes).
    SCRAPES+=("$(awk '{ n++; if ($1 != 200) bad++; t += $2; size = $3 }
        END { printf "%d scrapes (%d failed), mean %.1f ms, %d bytes", n, bad, n ? t * 1000 / n : 0, size }' "$scrapes")")

    ratio=$(bench_ratio "$scraped_rps" "$plain_rps")
    PLAIN_RATES+=("$plain_rps") SCRAPED_RATES+=("$scraped_rps") RATIOS+=("$ratio")
    ROWS+=("$(printf '%-6s | %10s %9s | %10s %9s | %s' "$round" "$plain_rps" "$plain_p99" "$scraped_rps" "$scraped_p99" "$ratio")")
done

RATIO=$(bench_median "${RATIOS[@]}")
VERDICT=$(awk -v r="$RATIO" 'BEGIN {
    printf "scraping costs %.1f %% of the throughput (target: at most 2 %%): %s\n", (1 - r) * 100, (r >= 0.98) ? "met" : "NOT met"
}')

mkdir -p bench-results
RESULT="bench-results/metrics-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Tessera /metrics scraping benchmark"
    bench_context
    echo "server:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=warn, $URL, metrics on $METRICS_URL"
    echo "scraper:  curl $METRICS_URL every ${SCRAPE_INTERVAL}s during the scraped runs"
    echo
    echo "client_credentials, req/s and p99 ms, without and with scraping:"
    printf '%-6s | %10s %9s | %10s %9s | %s\n' "round" "unscraped" "p99 ms" "scraped" "p99 ms" "ratio"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "median unscraped $(bench_median "${PLAIN_RATES[@]}") req/s, median scraped $(bench_median "${SCRAPED_RATES[@]}") req/s"
    echo "ratio scraped/unscraped (median of the rounds): $RATIO; $VERDICT"
    for ((round = 1; round <= ROUNDS; round++)); do
        echo "round $round scraper: ${SCRAPES[round - 1]}"
    done
    echo "wrk script checks: ${CHECKS[*]}"
    echo "1-minute load average at the end: $(cut -d ' ' -f 1 /proc/loadavg)"
} | tee "$RESULT"
for ((round = 1; round <= ROUNDS; round++)); do
    bench_append_raw "$RESULT" "plain-$round" "scraped-$round"
done
bench_log "written to $RESULT"

bench_require_checks "tokens" "${CHECKS[@]}"
