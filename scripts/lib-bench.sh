# Shared helpers for Tessera's load scripts (scripts/bench-*.sh).
# Source it from a bash script that uses `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
#
# It starts nothing by itself. Every process it starts is recorded and ended
# by bench_cleanup, which bench_init installs as the EXIT trap.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the BENCH_* results are read by the sourcing script

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
BENCH_BIN=${BENCH_BIN:-target/release/tessera}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
DURATION=${DURATION:-10s}

BENCH_PIDS=()          # processes to end on exit
BENCH_WORKDIR=""       # scratch files: server log, cookie jar, raw wrk output
BENCH_SERVER_PID=""    # the server under test: health checks and RSS sampling follow it
BENCH_SERVER_LOG=""    # its log (default: $BENCH_WORKDIR/server.log)
BENCH_SAMPLER_PID=""

bench_log() { printf '==> %s\n' "$*" >&2; }
bench_warn() { printf 'warning: %s\n' "$*" >&2; }
bench_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run from the repository root, make a scratch directory, install the trap.
bench_init() {
    cd "$BENCH_ROOT" || exit 1
    BENCH_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# bench_stop_pid PID: end one process we started, gracefully if it lets us.
bench_stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill "$pid" 2>/dev/null || true
    # Give a graceful shutdown 10 s, then insist.
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        bench_stop_pid "$pid"
    done
    if [[ -n "$BENCH_WORKDIR" && -z "${BENCH_KEEP_WORKDIR:-}" ]]; then
        rm -rf "$BENCH_WORKDIR"
    elif [[ -n "$BENCH_WORKDIR" ]]; then
        bench_log "scratch files kept in $BENCH_WORKDIR"
    fi
}

bench_as_root() {
    if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# Install Debian packages that are missing (refreshing the lists only if the
# first attempt fails).
bench_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    bench_log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    bench_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { bench_as_root apt-get update -qq \
            && bench_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        || bench_die "could not install ${missing[*]}"
}

bench_require_wrk() {
    command -v wrk >/dev/null || bench_apt_install wrk
}

# --- PostgreSQL -------------------------------------------------------------

bench_ensure_postgres() {
    local version
    pg_isready -q -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" && return 0
    # shellcheck disable=SC2012 # cluster directories are plain version numbers
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$version" ]] || bench_die "PostgreSQL is not running and no cluster is installed"
    bench_log "starting PostgreSQL $version/main"
    bench_as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 30); do
        pg_isready -q -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" && return 0
        sleep 1
    done
    bench_die "PostgreSQL is not reachable at $BENCH_PG_HOST:$BENCH_PG_PORT"
}

# bench_recreate_db NAME: a fresh, empty database for one run.
bench_recreate_db() {
    local db=$1
    bench_log "recreating database $db"
    PGOPTIONS="-c client_min_messages=warning" dropdb -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U postgres --if-exists --force "$db"
    createdb -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U postgres "$db"
}

# --- the server -------------------------------------------------------------

# bench_start_server BASE_URL [LOG]: start `tessera serve` with the TESSERA_*
# variables already exported by the caller, then wait for /healthz. The log
# goes to LOG (default $BENCH_WORKDIR/server.log).
bench_start_server() {
    local base_url=$1
    [[ -x "$BENCH_BIN" ]] || bench_die "$BENCH_BIN is missing; build it first"
    if curl -fsS -o /dev/null --max-time 2 "$base_url/healthz" 2>/dev/null; then
        bench_die "something already answers on $base_url; stop it first"
    fi
    BENCH_SERVER_LOG=${2:-$BENCH_WORKDIR/server.log}
    bench_log "starting $BENCH_BIN serve (log: $BENCH_SERVER_LOG)"
    "$BENCH_BIN" serve >"$BENCH_SERVER_LOG" 2>&1 &
    BENCH_SERVER_PID=$!
    BENCH_PIDS+=("$BENCH_SERVER_PID")
    bench_wait_healthy "$base_url" 60
}

# bench_spawn LOG COMMAND [ARGS...]: start any server in the background, log
# to LOG, make it the server under test and have bench_cleanup end it. Wait
# for it with bench_wait_healthy.
bench_spawn() {
    local log=$1
    shift
    bench_log "starting $* (log: $log)"
    "$@" >"$log" 2>&1 &
    BENCH_SERVER_PID=$!
    BENCH_SERVER_LOG=$log
    BENCH_PIDS+=("$BENCH_SERVER_PID")
}

# bench_port_free BASE_URL: die if something already answers there.
bench_port_free() {
    if curl -sS -o /dev/null --max-time 2 "$1/" 2>/dev/null; then
        bench_die "something already answers on $1; stop it first"
    fi
}

# bench_wait_healthy BASE_URL [SECONDS]
bench_wait_healthy() {
    local base_url=$1 limit=${2:-60} i log=${BENCH_SERVER_LOG:-$BENCH_WORKDIR/server.log}
    for ((i = 0; i < limit * 4; i++)); do
        if [[ -n "$BENCH_SERVER_PID" ]] && ! kill -0 "$BENCH_SERVER_PID" 2>/dev/null; then
            tail -n 30 "$log" >&2 || true
            bench_die "the server exited during start-up"
        fi
        curl -fsS -o /dev/null --max-time 2 "$base_url/healthz" 2>/dev/null && return 0
        sleep 0.25
    done
    tail -n 30 "$log" >&2 || true
    bench_die "$base_url/healthz did not answer within ${limit}s"
}

# bench_login BASE_URL USERNAME PASSWORD: sign in through the HTML form and
# print the authtoken cookie. The cookie jar is left in $BENCH_WORKDIR/cookies.
bench_login() {
    local base_url=$1 username=$2 password=$3
    local jar="$BENCH_WORKDIR/cookies" page csrf status token
    rm -f "$jar"
    page=$(curl -fsS --max-time 10 -c "$jar" -b "$jar" "$base_url/login") \
        || bench_die "GET $base_url/login failed"
    # The csrf input's attributes may come in any order: take the tag, then its value.
    csrf=$(grep -o '<input[^>]*name="csrf_token"[^>]*>' <<<"$page" | head -n 1 \
        | sed -n 's/.*value="\([^"]*\)".*/\1/p' || true)
    [[ -n "$csrf" ]] || bench_die "no csrf_token field on $base_url/login"
    status=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
        -H "Origin: $base_url" \
        --data-urlencode "username=$username" \
        --data-urlencode "password=$password" \
        --data-urlencode "csrf_token=$csrf" \
        --data-urlencode "next=/account" \
        "$base_url/login") || bench_die "POST $base_url/login failed"
    # curl marks HttpOnly cookies with a "#HttpOnly_" prefix on the domain
    # field; the name is field 6 and the value field 7 either way.
    token=$(awk -F '\t' 'NF >= 7 && $6 == "authtoken" { value = $7 } END { print value }' "$jar")
    [[ -n "$token" ]] || bench_die "POST /login answered $status and set no authtoken cookie"
    printf '%s\n' "$token"
}

# --- HTTP and OAuth helpers --------------------------------------------------

# bench_html_input NAME < PAGE: the value of the first <input name="NAME">
# (attributes in any order); empty if there is none.
bench_html_input() {
    grep -o "<input[^>]*name=\"$1\"[^>]*>" | head -n 1 \
        | sed -n 's/.*value="\([^"]*\)".*/\1/p' || true
}

# bench_jar_cookie_header JAR: "name=value; ..." of the cookies in a curl
# cookie jar whose path is "/", i.e. what a browser would send to any page.
bench_jar_cookie_header() {
    awk -F '\t' 'NF >= 7 && $3 == "/" { h = h (h == "" ? "" : "; ") $6 "=" $7 } END { print h }' "$1"
}

# bench_basic_auth ID SECRET: the credentials of an Authorization: Basic
# header. Both are form-urlencoded first (RFC 6749 2.3.1); the ids and
# secrets used here are URL-safe, so that changes nothing and is skipped.
bench_basic_auth() {
    printf '%s:%s' "$1" "$2" | base64 -w 0
}

# bench_pkce_pair: set BENCH_PKCE_VERIFIER (64 URL-safe random characters)
# and BENCH_PKCE_CHALLENGE = BASE64URL(SHA-256(verifier)) (RFC 7636, S256).
bench_pkce_pair() {
    BENCH_PKCE_VERIFIER=$(head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')
    BENCH_PKCE_CHALLENGE=$(printf '%s' "$BENCH_PKCE_VERIFIER" | openssl dgst -sha256 -binary \
        | base64 -w 0 | tr '+/' '-_' | tr -d '=')
}

# bench_query_param URL NAME: the (still encoded) value of NAME in URL's query.
bench_query_param() {
    sed -n "s/.*[?&]$2=\([^&#]*\).*/\1/p" <<<"$1" | head -n 1
}

# --- measurements -----------------------------------------------------------

# bench_rss_kb PID: resident set size in KiB.
bench_rss_kb() {
    awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bench_rss_sampler_start PID FILE: append VmRSS to FILE every 0.5 s until stopped.
bench_rss_sampler_start() {
    local pid=$1 file=$2
    : >"$file"
    (
        while kill -0 "$pid" 2>/dev/null; do
            bench_rss_kb "$pid" >>"$file" || true
            sleep 0.5
        done
    ) &
    BENCH_SAMPLER_PID=$!
    BENCH_PIDS+=("$BENCH_SAMPLER_PID")
}

bench_rss_sampler_stop() {
    kill "$BENCH_SAMPLER_PID" 2>/dev/null || true
    wait "$BENCH_SAMPLER_PID" 2>/dev/null || true
}

# bench_rss_max FILE: the largest sample in FILE (KiB).
bench_rss_max() {
    sort -n "$1" | tail -n 1
}

# wrk prints latencies as 812.00us, 1.20ms, 1.05s or 1.50m; print milliseconds.
bench_to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v == "") { print "n/a"; exit }
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f\n", n
    }'
}

# bench_wrk LABEL URL [wrk options...], e.g. -H "Cookie: authtoken=...".
# Runs wrk while sampling the server's memory. Sets BENCH_RPS, BENCH_P99_MS,
# BENCH_NON2XX, BENCH_SOCKET_ERRORS (empty when none) and BENCH_RSS_PEAK_KB; the raw output
# stays in $BENCH_WORKDIR/wrk-LABEL.txt.
bench_wrk() {
    local label=$1 url=$2
    shift 2
    local out="$BENCH_WORKDIR/wrk-$label.txt" rss="$BENCH_WORKDIR/rss-$label.txt"
    bench_log "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION $url"
    bench_rss_sampler_start "$BENCH_SERVER_PID" "$rss"
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$out" \
        || bench_die "wrk failed against $url"
    bench_rss_sampler_stop
    BENCH_RSS_PEAK_KB=$(bench_rss_max "$rss")
    BENCH_RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
    BENCH_P99_MS=$(bench_to_ms "$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$out")")
    BENCH_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    BENCH_NON2XX=${BENCH_NON2XX:-0}
    BENCH_SOCKET_ERRORS=$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' "$out")
    [[ -n "$BENCH_RPS" ]] || bench_die "could not read Requests/sec from $out"
}

# bench_wrk_value LABEL KEY: the value of a "KEY=value" line that a wrk
# script printed in its done() during bench_wrk LABEL (empty if none).
bench_wrk_value() {
    awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' \
        "$BENCH_WORKDIR/wrk-$1.txt"
}

# bench_ratio A B: A / B with two decimals.
# A wrk duration in seconds: 10s -> 10, 2m -> 120.
bench_seconds() {
    case $1 in
        *m) echo $((${1%m} * 60)) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}

bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'
}

# bench_median N...: the median of the numbers.
bench_median() {
    printf '%s\n' "$@" | sort -g \
        | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_append_raw FILE LABEL...: appends the raw wrk output of each
# bench_wrk LABEL to FILE.
bench_append_raw() {
    local file=$1 label
    shift
    for label in "$@"; do
        {
            echo
            echo "---- raw wrk output: $label ----"
            cat "$BENCH_WORKDIR/wrk-$label.txt"
        } >>"$file"
    done
}

# bench_require_checks WHAT CHECK...: dies unless every wrk script's check
# line ("ok=N failed=0 ...") counted no failure; WHAT says what was expected.
bench_require_checks() {
    local what=$1 check
    shift
    for check in "$@"; do
        [[ $check == *"failed=0 "* || $check == *"failed=0" ]] \
            || bench_die "some responses were not $what: $check"
    done
}

bench_mib() {
    awk -v kb="${1:-0}" 'BEGIN { printf "%.1f MiB\n", kb / 1024 }'
}

# A header for result files: when, which commit, on what.
bench_context() {
    local commit
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")
    git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
    echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:   $commit"
    echo "machine:  $(nproc) cores, $(uname -sr)"
    echo "load:     wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION (on the same machine)"
}
