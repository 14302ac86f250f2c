#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root) or a developer's.
# Installs what the tests need, then runs every test. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real registries (docker-registry), an independent client (skopeo), htpasswd for
# the basic-auth registry (apache2-utils), npm to fetch Node and Renovate for the
# conformance tests (tests/tools/renovate.sh), GNU time for peak-RSS checks, readelf
# (binutils) and buildah for the static binary and the image, pip for the pre-commit
# tool, python3 for the module graph check.
need_packages=()
for pair in docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils node:nodejs npm:npm openssl:openssl git:git /usr/bin/time:time readelf:binutils buildah:buildah python3:python3; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need_packages+=("${pair#*:}")
done
if [ "${#need_packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: missing ${need_packages[*]}; run as root or install them first" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi

# The static binary (dist/build-static.sh), which tests/it/static_binary.rs runs in an
# empty chroot and builds into an image.
IMG_MIRROR_STATIC_BINARY=$(dist/build-static.sh | tail -1)
export IMG_MIRROR_STATIC_BINARY

# No two modules of the library import each other (tests/tools/module-graph.py prints
# the cycles it finds).
python3 tests/tools/module-graph.py

# The Renovate crate's generated RE2 tables are what their generator gives today
# (it installs Renovate once per machine, as the conformance tests do).
crates/renovate-regex/tools/regenerate-tables.sh --check

cargo test --locked --workspace --all-targets "$@"

# The pre-commit hook through the real pre-commit tool (builds a release binary).
if [ -z "${IMG_MIRROR_SKIP_PRE_COMMIT:-}" ]; then
    tests/pre-commit.sh
fi

# Every fuzz target for 15 seconds (fuzz/run.sh SECONDS for longer runs).
if [ -z "${IMG_MIRROR_SKIP_FUZZ:-}" ]; then
    fuzz/run.sh 15
fi
