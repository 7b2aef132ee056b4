#!/usr/bin/env bash
# Soak (issue 11): mixed traffic against a release Tessera on a fresh
# PostgreSQL database for DURATION (default 10 minutes): sign-in, the
# authorization-code flow with PKCE, refresh, introspection and
# forward-auth (by bearer token and by session cookie). VmRSS is sampled
# every 10 s into a CSV and printed as a table with a bar per sample.
#
# Fails if any request failed, or if RSS grew after the warm-up (the first
# fifth of the run, at least 20 s): the samples after it are split in two
# halves, and the peak of the second half may exceed the peak of the first
# by at most 10 % or 2 MiB, whichever is larger (the allocator's plateaus
# pass, a leak's steady climb does not).
#
# Usage: scripts/soak.sh
#   DURATION=60s    (seconds: 600, 60s, 10m)
#   THREADS=2       concurrent traffic loops
#   SKIP_BUILD=1    use target/release/tessera as it is
#   SOAK_CSV=path   where to keep the samples (default bench-results/soak-<date>.csv)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-ops.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-ops.sh"
bench_init
command -v jq >/dev/null || bench_apt_install jq

DURATION=${DURATION:-10m}
case $DURATION in
    *m) SECONDS_TOTAL=$((${DURATION%m} * 60)) ;;
    *s) SECONDS_TOTAL=${DURATION%s} ;;
    *) SECONDS_TOTAL=$DURATION ;;
esac
WARMUP=$((SECONDS_TOTAL / 5 > 20 ? SECONDS_TOTAL / 5 : 20))
mkdir -p "$BENCH_ROOT/bench-results"
CSV=${SOAK_CSV:-$BENCH_ROOT/bench-results/soak-$(date -u +%Y%m%d-%H%M).csv}

ops_build
ops_database postgres tessera_soak
ops_start "$BENCH_WORKDIR/server.log"

bench_log "mixed traffic for ${SECONDS_TOTAL}s, RSS every 10 s into $CSV"
python3 "$OPS_LOAD" soak "$OPS_URL" "$BASIC_AUTH" "$CLIENT_ID" "$OPS_REDIRECT_URI" \
    "$OPS_USER" "$OPS_PASSWORD" "$SECONDS_TOTAL" "${THREADS:-2}" >"$BENCH_WORKDIR/traffic.txt" &
TRAFFIC=$!
BENCH_PIDS+=("$TRAFFIC")
echo "seconds,rss_kib" >"$CSV"
for ((t = 0; t <= SECONDS_TOTAL; t += 10)); do
    echo "$t,$(bench_rss_kb "$BENCH_SERVER_PID")" >>"$CSV"
    ((t + 10 <= SECONDS_TOTAL)) && sleep 10
done
wait "$TRAFFIC" || true

echo
awk -F, 'NR > 1 { if ($2 > max) max = $2; t[NR] = $1; r[NR] = $2; n = NR }
    END {
        for (i = 2; i <= n; i++) {
            bar = ""; for (j = 0; j < 50 * r[i] / max; j++) bar = bar "#"
            printf "%6ds %8.1f MiB %s\n", t[i], r[i] / 1024, bar
        }
    }' "$CSV"
cat "$BENCH_WORKDIR/traffic.txt"
ERRORS=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' "$BENCH_WORKDIR/traffic.txt")
REQUESTS=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$BENCH_WORKDIR/traffic.txt")
read -r FIRST SECOND < <(awk -F, -v w="$WARMUP" -v total="$SECONDS_TOTAL" '
    NR > 1 && $1 > w && $1 <= w + (total - w) / 2 { if ($2 > a) a = $2 }
    NR > 1 && $1 > w + (total - w) / 2 { if ($2 > b) b = $2 }
    END { print a + 0, b + 0 }' "$CSV")
echo "RSS peak after the ${WARMUP}s warm-up: $(bench_mib "$FIRST") in the first half, $(bench_mib "$SECOND") in the second"
if awk -v a="$FIRST" -v l="$SECOND" 'BEGIN { allow = a * 0.10; if (allow < 2048) allow = 2048; exit !(l > a + allow) }'; then
    echo "FAILED: RSS grew after the warm-up"
    exit 1
fi
if [[ -z "$REQUESTS" || "$REQUESTS" == 0 || "${ERRORS:-1}" != 0 ]]; then
    echo "FAILED: ${ERRORS:-?} errors in ${REQUESTS:-no} requests"
    exit 1
fi
echo "passed"
