#!/usr/bin/env bash
# The pre-commit hook, run by the real pre-commit tool (from PyPI) with `try-repo`
# against scratch repositories: it passes on a clean vars.yml and fails, naming the
# finding, on a bad one. Run by tests/run.sh after cargo test; builds img-mirror in
# release mode through pre-commit's rust support (a few minutes the first time).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
command -v pre-commit >/dev/null 2>&1 || python3 -m pip install --quiet pre-commit
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$here/target/pre-commit-home}"
# The committed HEAD, so both runs share one built environment (a working tree with
# uncommitted changes would be copied, and built, anew for each run).
ref="$(git -C "$here" rev-parse HEAD)"

make_repo() {
    local dir="$scratch/$1"
    mkdir -p "$dir"
    cp "$here/fixtures/deployment-all/vars.yml" "$here/fixtures/deployment-all/renovate.json" "$dir/"
    git -C "$dir" init -q
    echo "$dir"
}

clean="$(make_repo clean)"
git -C "$clean" add .
(cd "$clean" && pre-commit try-repo --ref "$ref" "$here" img-mirror-check --all-files) > "$scratch/clean.log" 2>&1 || {
    cat "$scratch/clean.log"; echo "pre-commit: the hook failed on the clean fixture" >&2; exit 1; }

bad="$(make_repo bad)"
sed -i 's|quay.io/cki/mirror/grafana/grafana|docker.io/grafana/grafana|' "$bad/vars.yml"
git -C "$bad" add .
if (cd "$bad" && pre-commit try-repo --ref "$ref" "$here" img-mirror-check --all-files) > "$scratch/bad.log" 2>&1; then
    cat "$scratch/bad.log"; echo "pre-commit: the hook passed an unapproved registry" >&2; exit 1
fi
grep -q "IM101" "$scratch/bad.log" || { cat "$scratch/bad.log"; echo "pre-commit: no IM101 in the hook's output" >&2; exit 1; }
echo "pre-commit: 2 passed, 0 failed"
