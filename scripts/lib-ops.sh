# Shared pieces of the operations scripts (rss.sh, db-restart.sh, soak.sh):
# a release Tessera on a fresh database, with one client and one user.
# Source it after `set -euo pipefail`; it sources lib-bench.sh.
# shellcheck shell=bash
# shellcheck disable=SC2034 # OPS_* are read by the sourcing script

# shellcheck source-path=SCRIPTDIR source=lib-bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

OPS_PORT=${OPS_PORT:-18091}
OPS_URL="http://localhost:$OPS_PORT" # Tessera routes by Host: not 127.0.0.1
OPS_REDIRECT_URI=http://127.0.0.1:9/cb # nothing listens there: codes are read from Location
OPS_USER=ops
OPS_PASSWORD=ops-password-123
OPS_LOAD="$BENCH_ROOT/scripts/ops_load.py"

ops_build() {
    if [[ -z "${SKIP_BUILD:-}" ]]; then
        bench_log "building the release binary"
        cargo build --release --bin tessera
    fi
    [[ -x "$BENCH_BIN" ]] || bench_die "$BENCH_BIN is missing; build it first"
}

# ops_database postgres|sqlite NAME: a fresh database; exports TESSERA_DATABASE_URL.
ops_database() {
    case $1 in
        postgres)
            bench_ensure_postgres
            bench_recreate_db "$2"
            export TESSERA_DATABASE_URL="postgres://postgres@$BENCH_PG_HOST:$BENCH_PG_PORT/$2"
            ;;
        sqlite) export TESSERA_DATABASE_URL="sqlite://$BENCH_WORKDIR/$2.db" ;;
        *) bench_die "unknown backend $1" ;;
    esac
}

# ops_start LOG: `tessera serve` on $TESSERA_DATABASE_URL, then the client
# and the user. Sets CLIENT_ID, CLIENT_SECRET and BASIC_AUTH.
ops_start() {
    export TESSERA_LISTEN="127.0.0.1:$OPS_PORT"
    export TESSERA_BASE_URL="$OPS_URL"
    TESSERA_MASTER_KEY=${TESSERA_MASTER_KEY:-$(head -c 32 /dev/urandom | base64 -w 0)}
    export TESSERA_MASTER_KEY
    export RUST_LOG=${RUST_LOG:-warn}
    bench_start_server "$OPS_URL" "$1"
    local out
    out=$("$BENCH_BIN" client create --site default --name ops --redirect-uri "$OPS_REDIRECT_URI" \
        --scopes "profile content:read" \
        --grant-types authorization_code,refresh_token,client_credentials --json) \
        || bench_die "tessera client create failed"
    CLIENT_ID=$(jq -r .client_id <<<"$out")
    CLIENT_SECRET=$(jq -r .client_secret <<<"$out")
    BASIC_AUTH=$(bench_basic_auth "$CLIENT_ID" "$CLIENT_SECRET")
    export BASIC_AUTH # read by the wrk scripts
    printf '%s' "$OPS_PASSWORD" \
        | "$BENCH_BIN" user create --site default "$OPS_USER" --role pro --password-stdin \
            >/dev/null || bench_die "tessera user create failed"
}

# ops_bearer: one client-credentials access token.
ops_bearer() {
    curl -fsS -H "Authorization: Basic $BASIC_AUTH" -d grant_type=client_credentials \
        "$OPS_URL/oauth/token" | jq -r .access_token
}
