#!/usr/bin/env bash
# Runs every fuzz target (libFuzzer, through cargo fuzz) for SECONDS each, default 20,
# starting from the checked-in seed corpus (copied, so runs never grow the repository).
# Longer runs: fuzz/run.sh 600. A crash leaves its input in fuzz/artifacts/<target>/;
# turn it into a regression test next to the code it broke.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# cargo fuzz passes nightly-only flags (-Zsanitizer=address); the stable toolchain ships
# the sanitizer runtimes, and RUSTC_BOOTSTRAP lets stable accept the flags.
export RUSTC_BOOTSTRAP=1
targets=(reference vars renovate_config regex_translation extract template diff)
cargo fuzz build
passed=0
failed=0
for target in "${targets[@]}"; do
    work="fuzz/target/corpus/$target"
    mkdir -p "$work"
    cp fuzz/corpus/"$target"/* "$work"/
    log="fuzz/target/$target.log"
    if cargo fuzz run "$target" "$work" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 > "$log" 2>&1; then
        passed=$((passed + 1))
        echo "fuzz $target: $(grep -E 'DONE' "$log" | tail -1 | awk '{print $1}' | tr -d '#') executions in ${seconds}s, no crash"
    else
        failed=$((failed + 1))
        echo "fuzz $target: CRASH, see $log and fuzz/artifacts/$target/" >&2
        grep -E "panicked|ERROR|SUMMARY" "$log" | head -5 >&2
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
