#!/usr/bin/env bash
# OAuth benchmark: Tessera against a reference authorization server.
#
# The reference is node-oidc-provider v9 (bench/reference: in-memory adapter,
# NODE_ENV=production, one process). Tessera is the release build on a fresh
# PostgreSQL database. Each server is measured alone (the other is stopped),
# with the load generator on the same machine, in three scenarios:
#
#   client_credentials  POST token endpoint, grant_type=client_credentials
#   introspection       POST introspection endpoint with one valid token
#   code flow           signed-in user, remembered consent: authorize -> 30x
#                       with code -> token exchange with the PKCE verifier;
#                       counted in complete flows per second
#
# plus one more code-flow run with one connection per wrk thread, which is
# what it takes to time the token step on its own (see bench/lua/code_flow.lua).
#
# It prints a table of req/s and p99 per scenario and server, the ratios
# Tessera/reference against the targets of issue 3, and writes it all to
# bench-results/oauth-<date>.txt (raw wrk output below the table).
#
# Usage: scripts/bench-oauth.sh
#   DURATION=30s          length of each wrk run (default 10s)
#   WRK_THREADS, WRK_CONNECTIONS   (default 2 and 32)
#   WARMUP=3s             unmeasured wrk run before each scenario (0: none)
#   STEP_TIMING=0         skip the one-connection-per-thread code-flow run
#   BENCH_ONLY=reference  measure the reference only (no cargo, no PostgreSQL)
#   BENCH_ONLY=tessera    measure Tessera only
#   SKIP_BUILD=1          use target/release/tessera as it is
#   BENCH_KEEP_WORKDIR=1  keep the server logs and raw files
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
bench_init

BENCH_ONLY=${BENCH_ONLY:-both}
STEP_TIMING=${STEP_TIMING:-1}
WARMUP=${WARMUP:-3s}
case $BENCH_ONLY in
    both | reference | tessera) ;;
    *) bench_die "BENCH_ONLY must be both, reference or tessera" ;;
esac

TESSERA_PORT=18081
TESSERA_URL="http://localhost:$TESSERA_PORT" # Tessera routes by Host: not 127.0.0.1
REF_PORT=18082
REF_URL="http://localhost:$REF_PORT" # the reference's issuer
DB_NAME=tessera_bench_oauth
REDIRECT_URI=http://127.0.0.1:9/cb # nothing listens there: codes are read from Location
FLOW_SCOPE="profile content:read"
CC_SCOPE="content:read"
BENCH_USER=bench
BENCH_PASSWORD=bench-password-123
LUA_DIR="$BENCH_ROOT/bench/lua"
REF_DIR="$BENCH_ROOT/bench/reference"

# Results, keyed "<server>:<scenario>" with server tessera|reference and
# scenario cc|introspect|flow.
declare -A RPS=() P99=() FAILED=() PEAK=()
declare -A AUTH_P99=() STEP_AUTH_P99=() TOKEN_P99=() STEP_FLOWS=()
declare -A SKIPPED=() # server -> why it was not measured
declare -A LOAD=()    # server -> 1-minute load average before its runs
RAW_LABELS=()

bench_pkce_pair # one verifier/challenge pair for every flow of the run

# --- shared pieces -------------------------------------------------------------

# http_call OUT_BODY CURL_ARGS...: print "<status> <redirect_url>", body to OUT_BODY.
http_call() {
    local out=$1
    shift
    curl -sS -o "$out" -w '%{http_code} %{redirect_url}' --max-time 10 "$@"
}

urlencode() {
    jq -rn --arg v "$1" '$v | @uri'
}

# authorize_url ENDPOINT CLIENT_ID STATE: an authorization request (code, PKCE S256).
authorize_url() {
    printf '%s?response_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s&code_challenge=%s&code_challenge_method=S256' \
        "$1" "$(urlencode "$2")" "$(urlencode "$REDIRECT_URI")" "$(urlencode "$FLOW_SCOPE")" \
        "$(urlencode "$3")" "$BENCH_PKCE_CHALLENGE"
}

# json_field FILE FIELD: a top-level string/bool field of a JSON document.
json_field() {
    jq -r --arg f "$2" '.[$f] // empty | tostring' "$1" 2>/dev/null || true
}

# measure SERVER SCENARIO LABEL URL LUA [wrk args]: a warm-up run (thrown
# away), then the measured wrk run with a checking script; records req/s,
# p99, failures and peak RSS.
measure() {
    local server=$1 scenario=$2 label=$3 url=$4 lua=$5 ok failed
    shift 5
    if [[ $WARMUP != 0 ]]; then
        bench_log "warm-up: wrk -d$WARMUP $url"
        wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" -s "$LUA_DIR/$lua" "$@" "$url" \
            >"$BENCH_WORKDIR/warmup-$label.txt" 2>&1 || bench_die "wrk (warm-up) failed against $url"
    fi
    bench_wrk "$label" "$url" -s "$LUA_DIR/$lua" "$@"
    RAW_LABELS+=("$label")
    PEAK[$server]=$(printf '%s\n' "${PEAK[$server]:-0}" "$BENCH_RSS_PEAK_KB" | sort -n | tail -n 1)
    if [[ $scenario == flow ]]; then
        ok=$(bench_wrk_value "$label" flows_per_s)
        failed=$(bench_wrk_value "$label" flows | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^failed=/) { sub(/^failed=/, "", $i); print $i } }')
        RPS[$server:$scenario]=${ok:-0}
    else
        failed=$(bench_wrk_value "$label" ok | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^failed=/) { sub(/^failed=/, "", $i); print $i } }')
        RPS[$server:$scenario]=$BENCH_RPS
    fi
    P99[$server:$scenario]=$BENCH_P99_MS
    FAILED[$server:$scenario]=${failed:-unknown}
    if [[ ${failed:-unknown} != 0 ]]; then
        bench_warn "$server $scenario: ${failed:-unknown} unexpected responses; $(bench_wrk_value "$label" first_failure)"
    fi
}

# The server being measured: set by measure_reference / measure_tessera.
S_NAME="" S_URL="" S_TOKEN_PATH="" S_INTROSPECT_PATH="" S_AUTHORIZE_PATH=""
S_SECRET="" S_FAIL=bench_die
CLIENT_ID="" BASIC_AUTH="" COOKIE="" INTROSPECT_TOKEN=""

# s_fail MESSAGE: give up on the server being measured.
s_fail() {
    "$S_FAIL" "$S_NAME: $1"
}

# s_token_request OUT_BODY FORM-ARGS...: POST to the token endpoint with
# client_secret_basic; prints the status.
s_token_request() {
    local out=$1 status
    shift
    read -r status _ < <(http_call "$out" -u "$CLIENT_ID:$S_SECRET" "$@" "$S_URL$S_TOKEN_PATH") || true
    printf '%s\n' "${status:-000}"
}

# check_client_credentials: a token is issued and introspects as active; it
# becomes INTROSPECT_TOKEN. Run right before the introspection scenario: the
# reference's in-memory adapter keeps only the last 1000 entries, so a token
# minted before the client_credentials run would be forgotten by then.
check_client_credentials() {
    local body="$BENCH_WORKDIR/$S_NAME-body" status
    status=$(s_token_request "$body" --data-urlencode grant_type=client_credentials --data-urlencode "scope=$CC_SCOPE")
    [[ $status != 404 ]] || s_fail "POST $S_TOKEN_PATH answered 404: the token endpoint is not there yet"
    INTROSPECT_TOKEN=$(json_field "$body" access_token)
    [[ $status == 200 && -n "$INTROSPECT_TOKEN" ]] \
        || s_fail "client_credentials answered $status: $(head -c 300 "$body")"
    read -r status _ < <(http_call "$body" -u "$CLIENT_ID:$S_SECRET" --data-urlencode "token=$INTROSPECT_TOKEN" \
        "$S_URL$S_INTROSPECT_PATH") || true
    [[ $status != 404 ]] || s_fail "POST $S_INTROSPECT_PATH answered 404: the introspection endpoint is not there yet"
    [[ $status == 200 && $(json_field "$body" active) == true ]] \
        || s_fail "introspection of a fresh token answered $status: $(head -c 300 "$body")"
}

# check_code_flow: with COOKIE alone, authorize answers 30x with a code at
# once (signed in, consent remembered), and the code exchanges for tokens.
check_code_flow() {
    local body="$BENCH_WORKDIR/$S_NAME-body" status location code
    read -r status location < <(http_call "$body" -H "Cookie: $COOKIE" \
        "$(authorize_url "$S_URL$S_AUTHORIZE_PATH" "$CLIENT_ID" check)") || true
    code=$(bench_query_param "$location" code)
    [[ $status == 30[23] && $location == "$REDIRECT_URI"\?* && -n "$code" ]] \
        || s_fail "a signed-in user with remembered consent got $status ${location:-without a redirect} from $S_AUTHORIZE_PATH, not a code"
    status=$(s_token_request "$body" --data-urlencode grant_type=authorization_code \
        -d "code=$code" --data-urlencode "redirect_uri=$REDIRECT_URI" \
        --data-urlencode "code_verifier=$BENCH_PKCE_VERIFIER")
    [[ $status == 200 && -n "$(json_field "$body" access_token)" ]] \
        || s_fail "the code exchange answered $status: $(head -c 300 "$body")"
}

# run_scenarios SIGN_IN_FUNCTION: the three scenarios against the server
# described by S_*; SIGN_IN_FUNCTION sets COOKIE (a signed-in session with
# remembered consent) right before the code-flow runs.
run_scenarios() {
    local sign_in=$1 server=$S_NAME base=$S_URL threads
    LOAD[$server]=$(cut -d ' ' -f 1 /proc/loadavg)
    if awk -v l="${LOAD[$server]}" 'BEGIN { exit !(l > 1.0) }'; then
        bench_warn "load average ${LOAD[$server]} before measuring $server: something else is using the CPU; figures will be low and noisy"
    fi
    export BASIC_AUTH SCOPE TOKEN COOKIE CLIENT_ID REDIRECT_URI VERIFIER CHALLENGE AUTHORIZE_PATH TOKEN_PATH
    SCOPE=$CC_SCOPE
    measure "$server" cc "$server-client-credentials" "$base$S_TOKEN_PATH" client_credentials.lua

    check_client_credentials
    TOKEN=$INTROSPECT_TOKEN
    measure "$server" introspect "$server-introspection" "$base$S_INTROSPECT_PATH" introspect.lua

    "$sign_in"
    check_code_flow
    SCOPE=$FLOW_SCOPE VERIFIER=$BENCH_PKCE_VERIFIER CHALLENGE=$BENCH_PKCE_CHALLENGE
    AUTHORIZE_PATH=$S_AUTHORIZE_PATH TOKEN_PATH=$S_TOKEN_PATH
    measure "$server" flow "$server-code-flow" "$base" code_flow.lua
    AUTH_P99[$server]=$(bench_wrk_value "$server-code-flow" authorize_p99_ms)

    if [[ $STEP_TIMING == 1 ]]; then
        # The same 32 connections, one per wrk thread: each token response can
        # be paired with its request, so the token step gets its own p99.
        threads=$WRK_THREADS
        WRK_THREADS=$WRK_CONNECTIONS
        bench_wrk "$server-code-flow-steps" "$base" -s "$LUA_DIR/code_flow.lua"
        WRK_THREADS=$threads
        RAW_LABELS+=("$server-code-flow-steps")
        STEP_FLOWS[$server]=$(bench_wrk_value "$server-code-flow-steps" flows_per_s)
        TOKEN_P99[$server]=$(bench_wrk_value "$server-code-flow-steps" token_p99_ms)
        STEP_AUTH_P99[$server]=$(bench_wrk_value "$server-code-flow-steps" authorize_p99_ms)
    fi
}

# --- the report ------------------------------------------------------------------

RESULT=""

# verdict T_RPS R_RPS T_P99 R_P99 TARGET
verdict() {
    awk -v t="$1" -v r="$2" -v tp="$3" -v rp="$4" -v target="$5" 'BEGIN {
        if (t == "" || r == "" || r + 0 == 0) { print "n/a"; exit }
        ratio = t / r
        ok = (ratio >= target) && (tp + 0 < rp + 0)
        printf "%.2fx (target %sx), p99 %s: %s\n", ratio, target, (tp + 0 < rp + 0) ? "lower" : "NOT lower", ok ? "met" : "NOT met"
    }'
}

cell() { printf '%s' "${1:--}"; }

report() {
    local row key name target
    mkdir -p bench-results
    RESULT="bench-results/oauth-$(date -u +%Y%m%dT%H%M%SZ).txt"
    {
        echo "Tessera OAuth benchmark (issue 3, Figures)"
        bench_context
        echo "tessera:   $BENCH_BIN serve on PostgreSQL ($DB_NAME), RUST_LOG=warn, $TESSERA_URL"
        echo "reference: oidc-provider $(ref_version) on node $(node --version 2>/dev/null || echo '?'), in-memory adapter, NODE_ENV=production, one process, $REF_URL"
        echo "PKCE:      S256, one fixed verifier per run"
        echo
        printf '%-22s | %12s %9s | %12s %9s | %s\n' "scenario" "Tessera" "p99 ms" "reference" "p99 ms" "Tessera/reference"
        printf '%-22s-+-%12s-%9s-+-%12s-%9s-+-%s\n' "----------------------" "------------" "---------" "------------" "---------" "------------------------------------"
        for row in "cc:client_credentials/s:3" "introspect:introspections/s:3" "flow:code flows/s:4"; do
            key=${row%%:*} name=${row#*:} target=${row##*:}
            name=${name%:*}
            printf '%-22s | %12s %9s | %12s %9s | %s\n' "$name" \
                "$(cell "${RPS[tessera:$key]:-}")" "$(cell "${P99[tessera:$key]:-}")" \
                "$(cell "${RPS[reference:$key]:-}")" "$(cell "${P99[reference:$key]:-}")" \
                "$(verdict "${RPS[tessera:$key]:-}" "${RPS[reference:$key]:-}" "${P99[tessera:$key]:-}" "${P99[reference:$key]:-}" "$target")"
        done
        echo
        echo "p99 of the code flow is over every request of it (both steps), as wrk reports it."
        for server in tessera reference; do
            [[ -n "${SKIPPED[$server]:-}" ]] && { echo "$server: not measured: ${SKIPPED[$server]}"; continue; }
            [[ -n "${RPS[$server:cc]:-}" ]] || continue
            echo "$server: 1-minute load average before its runs: ${LOAD[$server]:-?} (other work on the machine if well above 0)"
            echo "$server: code flow, authorize step p99 ${AUTH_P99[$server]:-n/a} ms; peak RSS $(bench_mib "${PEAK[$server]:-0}")"
            if [[ $STEP_TIMING == 1 ]]; then
                echo "$server: code flow at one connection per wrk thread (-t$WRK_CONNECTIONS -c$WRK_CONNECTIONS): ${STEP_FLOWS[$server]:-n/a} flows/s, authorize step p99 ${STEP_AUTH_P99[$server]:-n/a} ms, token step p99 ${TOKEN_P99[$server]:-n/a} ms"
            fi
            for key in cc introspect flow; do
                if [[ ${FAILED[$server:$key]:-0} != 0 ]]; then
                    echo "$server $key: ${FAILED[$server:$key]} unexpected responses: NOT COMPARABLE"
                fi
            done
        done
    } | tee "$RESULT"
    local label
    for label in "${RAW_LABELS[@]}"; do
        {
            echo
            echo "---- raw wrk output: $label ----"
            cat "$BENCH_WORKDIR/wrk-$label.txt"
        } >>"$RESULT"
    done
    bench_log "written to $RESULT"
}

# tessera_fail MESSAGE: Tessera cannot be measured (yet); report what was.
tessera_fail() {
    bench_warn "Tessera: $1"
    if [[ -n "${BENCH_SERVER_LOG:-}" && -s "$BENCH_SERVER_LOG" ]]; then
        tail -n 20 "$BENCH_SERVER_LOG" >&2 || true
    fi
    SKIPPED[tessera]=${1#tessera: }
    report
    exit 1
}

# --- the reference -----------------------------------------------------------------

ref_version() {
    node -p 'require("./bench/reference/node_modules/oidc-provider/package.json").version' 2>/dev/null || echo '?'
}

ref_install() {
    command -v node >/dev/null || bench_die "node is not installed (the reference needs node 20 or later)"
    command -v npm >/dev/null || bench_die "npm is not installed"
    # npm ci when node_modules is missing or older than the lock file.
    if [[ ! -f "$REF_DIR/node_modules/.package-lock.json" \
        || "$REF_DIR/package-lock.json" -nt "$REF_DIR/node_modules/.package-lock.json" ]]; then
        bench_log "npm ci in bench/reference"
        (cd "$REF_DIR" && npm ci --no-audit --no-fund --loglevel=error) || bench_die "npm ci failed in bench/reference"
    fi
}

# ref_sign_in: drive the reference's interaction endpoint once: /auth ->
# /interaction/<uid> (signs the fixed account in and grants the scopes) ->
# /auth/<uid> -> perhaps a second round for the consent prompt -> the
# redirect URI with a code. COOKIE becomes its session cookies.
ref_sign_in() {
    local jar="$BENCH_WORKDIR/ref-cookies" body="$BENCH_WORKDIR/reference-body" url status location i
    bench_log "reference: signing in through its interaction endpoint"
    rm -f "$jar"
    url=$(authorize_url "$S_URL$S_AUTHORIZE_PATH" "$CLIENT_ID" sign-in)
    location=""
    for ((i = 0; i < 10; i++)); do
        read -r status location < <(http_call "$body" -c "$jar" -b "$jar" "$url") || true
        case $location in
            "$REDIRECT_URI"\?*) break ;;
            "") s_fail "sign-in stopped at $url with status $status: $(head -c 300 "$body")" ;;
        esac
        url=$location
    done
    [[ $location == "$REDIRECT_URI"\?*code=* ]] || s_fail "sign-in did not end with a code"
    COOKIE=$(bench_jar_cookie_header "$jar")
    [[ $COOKIE == *_session=* ]] || s_fail "no session cookie after sign-in"
}

measure_reference() {
    ref_install
    bench_port_free "$REF_URL"
    S_NAME=reference S_URL=$REF_URL S_FAIL=bench_die
    S_TOKEN_PATH=/token S_INTROSPECT_PATH=/token/introspection S_AUTHORIZE_PATH=/auth
    S_SECRET=$(head -c 32 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')
    CLIENT_ID=bench
    BASIC_AUTH=$(bench_basic_auth "$CLIENT_ID" "$S_SECRET")
    bench_spawn "$BENCH_WORKDIR/reference.log" env NODE_ENV=production PORT="$REF_PORT" \
        CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$S_SECRET" node "$REF_DIR/server.mjs"
    bench_wait_healthy "$REF_URL" 30
    check_client_credentials
    ref_sign_in
    check_code_flow
    sleep 1
    run_scenarios ref_sign_in
    bench_stop_pid "$BENCH_SERVER_PID"
}

# --- Tessera ---------------------------------------------------------------------------

# tessera_sign_in: sign in through /login, then authorize once and Allow on
# the consent page (if it is shown). COOKIE becomes the authtoken cookie.
tessera_sign_in() {
    local authtoken jar="$BENCH_WORKDIR/cookies" body="$BENCH_WORKDIR/tessera-body"
    local status location csrf consent_token
    bench_log "tessera: signing in as $BENCH_USER and consenting"
    authtoken=$(bench_login "$S_URL" "$BENCH_USER" "$BENCH_PASSWORD") # leaves its cookie jar in $jar
    COOKIE="authtoken=$authtoken"
    read -r status location < <(http_call "$body" -c "$jar" -b "$jar" \
        "$(authorize_url "$S_URL$S_AUTHORIZE_PATH" "$CLIENT_ID" consent)") || true
    [[ $status != 404 ]] || s_fail "GET $S_AUTHORIZE_PATH answered 404: the authorization endpoint is not there yet"
    if [[ $status == 200 ]]; then
        csrf=$(bench_html_input csrf_token <"$body")
        consent_token=$(bench_html_input consent_token <"$body")
        [[ -n "$csrf" && -n "$consent_token" ]] \
            || s_fail "the consent page has no csrf_token/consent_token inputs"
        read -r status location < <(http_call "$body" -c "$jar" -b "$jar" -H "Origin: $S_URL" \
            --data-urlencode "csrf_token=$csrf" --data-urlencode "consent_token=$consent_token" \
            --data-urlencode decision=allow "$S_URL$S_AUTHORIZE_PATH") || true
        [[ $status == 30[23] && $location == "$REDIRECT_URI"\?*code=* ]] \
            || s_fail "Allow on the consent page answered $status ${location:-}: $(head -c 300 "$body")"
    elif [[ ! ($status == 30[23] && $location == "$REDIRECT_URI"\?*code=*) ]]; then
        s_fail "GET $S_AUTHORIZE_PATH answered $status ${location:-}, neither a consent page nor a code"
    fi
}

measure_tessera() {
    local out
    bench_ensure_postgres
    bench_recreate_db "$DB_NAME"
    export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$DB_NAME"
    export TESSERA_LISTEN="127.0.0.1:$TESSERA_PORT"
    export TESSERA_BASE_URL="$TESSERA_URL"
    TESSERA_MASTER_KEY=$(head -c 32 /dev/urandom | base64 -w 0)
    export TESSERA_MASTER_KEY
    export RUST_LOG=warn
    S_NAME=tessera S_URL=$TESSERA_URL S_FAIL=tessera_fail
    S_TOKEN_PATH=/oauth/token S_INTROSPECT_PATH=/oauth/introspect S_AUTHORIZE_PATH=/oauth/authorize
    bench_start_server "$TESSERA_URL" "$BENCH_WORKDIR/tessera.log"

    bench_log "tessera: creating the client and user $BENCH_USER"
    out=$("$BENCH_BIN" client create --site default --name bench --redirect-uri "$REDIRECT_URI" \
        --scopes "$FLOW_SCOPE" --grant-types authorization_code,refresh_token,client_credentials \
        --json 2>"$BENCH_WORKDIR/client-create.err") \
        || s_fail "\`tessera client create\` failed: $(tail -n 3 "$BENCH_WORKDIR/client-create.err")"
    printf '%s\n' "$out" >"$BENCH_WORKDIR/client.json"
    CLIENT_ID=$(json_field "$BENCH_WORKDIR/client.json" client_id)
    S_SECRET=$(json_field "$BENCH_WORKDIR/client.json" client_secret)
    [[ -n "$CLIENT_ID" && -n "$S_SECRET" ]] \
        || s_fail "\`tessera client create --json\` printed no client_id/client_secret: $out"
    BASIC_AUTH=$(bench_basic_auth "$CLIENT_ID" "$S_SECRET")

    printf '%s' "$BENCH_PASSWORD" \
        | "$BENCH_BIN" user create --site default "$BENCH_USER" --role pro --password-stdin \
            >"$BENCH_WORKDIR/user-create.log" 2>&1 \
        || s_fail "\`tessera user create\` failed: $(tail -n 3 "$BENCH_WORKDIR/user-create.log")"

    check_client_credentials
    tessera_sign_in
    check_code_flow
    sleep 1
    run_scenarios tessera_sign_in
    bench_stop_pid "$BENCH_SERVER_PID"
}

# --- the run -----------------------------------------------------------------------------

bench_require_wrk
command -v jq >/dev/null || bench_apt_install jq
command -v openssl >/dev/null || bench_apt_install openssl

if [[ $BENCH_ONLY != reference && -z "${SKIP_BUILD:-}" ]]; then
    bench_log "building the release binary"
    cargo build --release
fi

if [[ $BENCH_ONLY == tessera ]]; then
    SKIPPED[reference]="BENCH_ONLY=tessera"
else
    measure_reference
fi

if [[ $BENCH_ONLY == reference ]]; then
    SKIPPED[tessera]="BENCH_ONLY=reference"
else
    [[ -x "$BENCH_BIN" ]] || tessera_fail "$BENCH_BIN is missing; build it first"
    measure_tessera
fi

report

for key in "${!FAILED[@]}"; do
    if [[ ${FAILED[$key]} != 0 ]]; then
        bench_die "some responses were not what the scenario expects; see the notes above"
    fi
done
