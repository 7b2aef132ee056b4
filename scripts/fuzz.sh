#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo fuzz, libFuzzer) for SECONDS each
# and prints how many inputs each one ran.
#
# Usage: scripts/fuzz.sh [SECONDS]        (default 600: ten minutes a target)
#   TARGETS="jwt form_body"   only these targets (default: all of them)
#   JOBS=2                    targets run side by side (default 1)
#   SANITIZER=address         cargo fuzz's -s: address (default) or none
#   PROFILE=release           release (default; with debug assertions) or dev:
#                             a build in half the time, for short runs (CI)
#   NICE=19                   run the build and the targets under nice
#
# The machine has stable Rust only; cargo fuzz needs nightly flags
# (-Zsanitizer, -Cpasses=sancov-module), so this sets RUSTC_BOOTSTRAP=1.
# It installs cargo-fuzz when it is missing. New corpus entries go to
# fuzz/corpus/<target> (ignored by git), seeded from fuzz/seeds/<target>;
# a crash is saved under fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_EACH=${1:-600}
JOBS=${JOBS:-1}
SANITIZER=${SANITIZER:-address}
NICE=${NICE:-0}
PROFILE=${PROFILE:-release}
export RUSTC_BOOTSTRAP=1

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, got '$SECONDS_EACH'"
case "$PROFILE" in
    release) build_flags=(-s "$SANITIZER") ;;
    dev) build_flags=(-s "$SANITIZER" --dev) ;;
    *) die "PROFILE is release or dev, got '$PROFILE'" ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    nice -n "$NICE" cargo install cargo-fuzz --locked --quiet
fi

if [[ -n "${TARGETS:-}" ]]; then
    read -r -a targets <<<"$TARGETS"
else
    mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
((${#targets[@]} > 0)) || die "no fuzz targets found"

echo "building ${#targets[@]} fuzz targets ($PROFILE, sanitizer: $SANITIZER)"
build_start=$(date +%s)
(cd fuzz && nice -n "$NICE" cargo fuzz build "${build_flags[@]}")
echo "built in $(($(date +%s) - build_start)) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# One target: run it, then print its line of the summary from its log.
run_target() {
    local target=$1 log="$logs/$1.log" status=0
    mkdir -p "fuzz/corpus/$target"
    (cd fuzz && nice -n "$NICE" cargo fuzz run "${build_flags[@]}" "$target" \
        "corpus/$target" "seeds/$target" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1) >"$log" 2>&1 || status=$?
    local runs
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    if ((status == 0)) && [[ -n "$runs" ]]; then
        printf '%-22s %12s runs in %s s, corpus %s inputs\n' "$target" "$runs" \
            "$SECONDS_EACH" "$(find "fuzz/corpus/$target" -type f | wc -l)"
        return 0
    fi
    printf '%-22s FAILED (exit %s)\n' "$target" "$status"
    grep -E 'panicked|SUMMARY|Test unit written|ERROR' "$log" | head -n 20 >&2 || tail -n 30 "$log" >&2
    return 1
}

failed=0
running=0
pids=()
for target in "${targets[@]}"; do
    run_target "$target" &
    pids+=($!)
    running=$((running + 1))
    if ((running >= JOBS)); then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
        running=$((running - 1))
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done

((failed == 0)) || die "a fuzz target failed; see fuzz/artifacts/"
echo "all ${#targets[@]} fuzz targets ran ${SECONDS_EACH} s each without a failure"
