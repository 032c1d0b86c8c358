#!/usr/bin/env bash
# Fuzzes every decoder of untrusted bytes for a short, bounded time: builds all
# targets once, then runs each from its committed seeds (fuzz/corpus/TARGET).
# Fails if any target crashes, hangs or runs out of memory, and says where the
# input that did it was saved.
#
#   FUZZ_SECONDS         seconds per target (default 15)
#   FUZZ_BUDGET_SECONDS  if set, the whole script's time (install and build
#                        included): targets get less than FUZZ_SECONDS each
#                        (at least 5) when the build took long
#   FUZZ_TARGETS         the targets to run, separated by spaces (default: all)
#
# Builds go to $CARGO_TARGET_DIR/fuzz (fuzz/target without it): instrumented
# code cannot share artifacts with the normal build, and a kept directory makes
# the next run build only what changed.
set -euo pipefail
cd "$(dirname "$0")"

# cargo-fuzz passes -Z flags to rustc; there is no nightly toolchain here, and
# stable with RUSTC_BOOTSTRAP=1 accepts them.
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-15}"
target_dir="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}"
target_dir="${target_dir:-$PWD/target}"
# Without AddressSanitizer: these targets are safe Rust (the C of SQLite is not
# instrumented either way), and the build and each run are about twice as fast.
build_flags=(--sanitizer none --target-dir "$target_dir")
started=$SECONDS

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cargo fuzz build "${build_flags[@]}"
bin_dir="$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release"

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"
if [ -n "${FUZZ_BUDGET_SECONDS:-}" ]; then
    left=$((FUZZ_BUDGET_SECONDS - (SECONDS - started)))
    share=$((left / ${#targets[@]} - 1))
    if [ "$share" -lt "$seconds" ]; then
        seconds=$((share < 5 ? 5 : share))
    fi
fi
echo "fuzz: ${#targets[@]} targets, $seconds s each"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in "${targets[@]}"; do
    seeds="corpus/$target"
    artifacts="$PWD/artifacts/$target"
    work="$scratch/$target"
    mkdir -p "$seeds" "$artifacts" "$work/corpus" "$work/tmp"
    # New inputs go to the first corpus directory (scratch), so the committed
    # seeds stay as they are; TMPDIR holds what a target writes (relay_request's database).
    if TMPDIR="$work/tmp" "$bin_dir/$target" "$work/corpus" "$seeds" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$work/log" 2>&1; then
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")"
        edges="$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 || true)"
        echo "fuzz $target: ok, ${runs:-?} runs in ${seconds} s, ${edges:-cov: ?}"
    else
        echo "fuzz $target: FAILED; the end of its log:" >&2
        tail -n 40 "$work/log" >&2
        saved="$(sed -n 's/.*Test unit written to //p' "$work/log")"
        echo "fuzz $target: the input is in ${saved:-$artifacts/}" >&2
        echo "  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $target ${saved:-<input>}" >&2
        failed+=("$target")
    fi
done

echo "fuzz: ${#targets[@]} targets in $((SECONDS - started)) s (build included)"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashed: ${failed[*]}" >&2
    exit 1
fi
