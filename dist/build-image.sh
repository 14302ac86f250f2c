#!/usr/bin/env bash
# Builds an img-mirror image from dist/Containerfile with buildah. Usage:
#   dist/build-image.sh [NAME] [BUILDAH BUILD OPTIONS...]
# prints NAME as its last line. By default the FROM scratch image, built offline; add
# `--target ci` for the GitLab job image (pulls debian:bookworm-slim).
#
#   IMG_MIRROR_STATIC_BINARY  use this static binary instead of building one
#   BUILDAH_OPTS              extra global buildah options, such as a private store:
#                             "--root DIR --runroot DIR"
#
# vfs storage and chroot isolation need no kernel overlay support and no user
# namespaces: the build runs in CI containers and on plain Debian alike.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
name=${1:-localhost/img-mirror:$version}
shift || true
binary=${IMG_MIRROR_STATIC_BINARY:-$("$root/dist/build-static.sh" | tail -1)}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/img-mirror"
# shellcheck disable=SC2086 # BUILDAH_OPTS is a list of options
buildah ${BUILDAH_OPTS:-} --storage-driver vfs build --quiet --isolation chroot \
    --file "$root/dist/Containerfile" --tag "$name" "$@" "$context" >&2
echo "$name"
