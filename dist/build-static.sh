#!/usr/bin/env bash
# Builds img-mirror as one statically linked x86_64 Linux executable (glibc, crt-static)
# that runs with nothing beside it: an empty chroot, a FROM scratch image, a Renovate
# runner's /usr/local/bin. Prints the binary's path as its last line.
#
# The explicit --target keeps crt-static off the build scripts and proc macros, which
# must stay dynamic; its own target dir keeps the static build from invalidating the
# ordinary one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-unknown-linux-gnu
cd "$root"
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --release --locked --target "$target" --target-dir target/static >&2
binary="$root/target/static/$target/release/img-mirror"

# Refuse a binary that would need a loader or a shared library at run time.
if readelf --program-headers --wide "$binary" | grep -q INTERP \
    || readelf --dynamic --wide "$binary" | grep -q NEEDED; then
    readelf --dynamic --wide "$binary" | grep NEEDED >&2 || true
    echo "error: $binary is not statically linked" >&2
    exit 1
fi
echo "$binary"
