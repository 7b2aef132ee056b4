#!/usr/bin/env bash
# Database restart under load (issue 11): a release Tessera on a fresh
# PostgreSQL database answers client_credentials token requests without
# pause while PostgreSQL is stopped (`pg_ctlcluster ... stop -m fast`) for
# DOWN seconds and started again. It passes when:
#   - every answer is a 200 with a token or a 503 `temporarily_unavailable`
#     (no other 5xx, no connection dropped, no request hanging past the
#     pool's acquire timeout plus a second);
#   - every token received still introspects as active afterwards;
#   - /readyz answers 200 again within 5 s of PostgreSQL being back.
# It prints the outage window as the clients saw it.
#
# CAREFUL: this stops the machine's PostgreSQL cluster for everyone using
# it. It always starts it again, also when it fails or is interrupted.
#
# Usage: scripts/db-restart.sh
#   DOWN=5 (seconds PostgreSQL stays down)  AFTER=10 (seconds of load after)
#   SKIP_BUILD=1   use target/release/tessera as it is
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-ops.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-ops.sh"
bench_init
command -v jq >/dev/null || bench_apt_install jq

DOWN=${DOWN:-5}
AFTER=${AFTER:-10}
TIMEOUT_MILLIS=2000
# shellcheck disable=SC2012 # cluster directories are plain version numbers
PG_VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
PG_STOPPED=""

pg_cluster() {
    bench_as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main "$@"
}

# Whatever happens, PostgreSQL is started again.
restart_postgres_on_exit() {
    if [[ -n "$PG_STOPPED" ]]; then
        bench_warn "starting PostgreSQL again"
        pg_cluster start || true
    fi
    bench_cleanup
}
trap restart_postgres_on_exit EXIT

ops_build
ops_database postgres tessera_restart
export TESSERA_DATABASE_TIMEOUT_MILLIS=$TIMEOUT_MILLIS
ops_start "$BENCH_WORKDIR/server.log"

ANSWERS="$BENCH_WORKDIR/answers.csv" READY="$BENCH_WORKDIR/ready.txt" STOP="$BENCH_WORKDIR/stop"
bench_log "token requests from 4 clients"
python3 "$OPS_LOAD" tokens "$OPS_URL" "$BASIC_AUTH" "$ANSWERS" "$STOP" 4 &
LOADER=$!
BENCH_PIDS+=("$LOADER")
(
    while [[ ! -e "$STOP" ]]; do
        printf '%s %s\n' "$(date +%s.%N)" \
            "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$OPS_URL/readyz")" >>"$READY"
        sleep 0.1
    done
) &
BENCH_PIDS+=("$!")
sleep 3

bench_log "stopping PostgreSQL $PG_VERSION/main for ${DOWN}s"
PG_STOPPED=1
DB_DOWN=$(date +%s.%N)
pg_cluster stop -m fast
sleep "$DOWN"
pg_cluster start
DB_UP=$(date +%s.%N)
PG_STOPPED=""
bench_log "PostgreSQL is back; ${AFTER}s more load"
sleep "$AFTER"
touch "$STOP"
wait "$LOADER"

bench_log "introspecting every token received"
read -r CHECKED INACTIVE < <(python3 "$OPS_LOAD" introspect "$OPS_URL" "$BASIC_AUTH" "$ANSWERS" \
    | sed -n 's/checked=\([0-9]*\) inactive=\([0-9]*\)/\1 \2/p')

awk -F, -v down="$DB_DOWN" -v up="$DB_UP" -v limit="$((TIMEOUT_MILLIS / 1000 + 1))" '
    { n++; count[$2]++ }
    $2 == 200 { next }
    { if (first == "") first = $1; last = $1 + $4 }
    $2 != 503 || $3 != "temporarily_unavailable" { bad++ }
    $4 > limit { slow++ }
    END {
        printf "answers:   %d (", n
        for (s in count) printf " %s: %d", s, count[s]
        printf " )\n"
        if (first != "") printf "outage:    first refusal %.1f s after the stop, last %.1f s after the start; %.1f s in all\n", first - down, last - up, last - first
        printf "bad:       %d answers neither 200 nor 503 temporarily_unavailable, %d slower than %d s\n", bad, slow, limit
        exit (bad > 0 || slow > 0)
    }' "$ANSWERS" || FAILED=1
READY_AT=$(awk -v up="$DB_UP" '$1 > up && $2 == 200 { printf "%.1f", $1 - up; exit }' "$READY")
echo "ready:     /readyz 200 again ${READY_AT:-never} s after PostgreSQL was started"
echo "tokens:    $CHECKED introspected, $INACTIVE not active"
[[ -n "$READY_AT" ]] && awk -v r="$READY_AT" 'BEGIN { exit !(r <= 5) }' || FAILED=1
[[ "$INACTIVE" == 0 && "$CHECKED" -gt 0 ]] || FAILED=1
if [[ -n "${FAILED:-}" ]]; then
    echo "FAILED"
    exit 1
fi
echo "passed"
