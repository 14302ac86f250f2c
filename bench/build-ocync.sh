#!/usr/bin/env bash
# Builds ocync (github clowdhaus/ocync, not on crates.io) for bench/mirror.py --ocync.
#
# Usage: bench/build-ocync.sh SRC_DIR
#   SRC_DIR: an extracted snapshot of the ocync repository (e.g. `git archive HEAD | tar -x`).
# Prints the path of the binary. Needs only crates.io:
#   - the workspace's reqwest git pin and its [patch.crates-io] entry become crates.io
#     reqwest 0.13.3 or later with the same features (query, system-proxy);
#   - rust-toolchain.toml (1.94) is removed: the installed stable builds it;
#   - non-fips (the default fips feature needs cmake and Go); no LTO, 16 codegen units
#     (LTO with one unit is slow on 2 cores; fine for a benchmark build).
set -euo pipefail
src=${1:?usage: bench/build-ocync.sh SRC_DIR}
cd "$src"
python3 - <<'EOF'
import re
text = open("Cargo.toml").read()
text, pins = re.subn(r'reqwest = \{ git = "[^"]*", rev = "[0-9a-f]*", default-features = false, features = \[([^\]]*)\] \}',
                     r'reqwest = { version = "0.13.3", default-features = false, features = [\1] }', text)
text = re.sub(r'(#[^\n]*\n)*\[patch\.crates-io\]\nreqwest = \{[^\n]*\}\n', "", text)
if pins != 1 and 'version = "0.13.3"' not in text:
    raise SystemExit("Cargo.toml: the reqwest pin was not found; patch it by hand")
open("Cargo.toml", "w").write(text)
EOF
rm -f rust-toolchain.toml
target=${CARGO_TARGET_DIR:-$HOME/.cache/img-mirror-tools/ocync-target}
CARGO_TARGET_DIR=$target CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    nice -n 10 cargo build --release -p ocync --no-default-features --features non-fips >&2
echo "$target/release/ocync"
