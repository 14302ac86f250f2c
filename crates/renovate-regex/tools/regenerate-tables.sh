#!/usr/bin/env bash
# Regenerates src/re2/tables.rs from the RE2 that Renovate loads (its `re2` npm module,
# installed once per machine by tests/tools/renovate.sh), or with --check compares the
# regenerated file with the committed one and fails on any difference. Renovate
# 39.264.1 and 44.121.2 load RE2s with the same tables; 44's is used.
set -euo pipefail
crate="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$crate/../.." && pwd)"
prefix="$(bash "$root/tests/tools/renovate.sh" 44.121.2 | tail -1)"
fresh="$(mktemp)"
trap 'rm -f "$fresh"' EXIT
"$prefix/node" "$crate/tools/re2-tables.js" "$prefix" "$crate/tools/re2-script-names.txt" > "$fresh"
rustfmt --edition 2024 "$fresh"
if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$crate/src/re2/tables.rs" "$fresh" > /dev/null; then
        echo "src/re2/tables.rs differs from what tools/re2-tables.js generates; run $0" >&2
        diff -u "$crate/src/re2/tables.rs" "$fresh" | head -40 >&2
        exit 1
    fi
    echo "src/re2/tables.rs is what tools/re2-tables.js generates"
else
    cp "$fresh" "$crate/src/re2/tables.rs"
fi
