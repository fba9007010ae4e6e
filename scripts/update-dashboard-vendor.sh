#!/bin/sh
# Refresh the dashboard's vendored front-end libraries from the npm registry.
#
# The node serves these files as they are (no build step), so this script is the only place
# they change: it fetches each pinned package with `npm pack`, copies the browser-ready ES
# module files and the licence, and records name, version and licence in VERSIONS.txt.
# Change a version below, run the script, check the dashboard tests, commit the result.
set -eu

PREACT=preact@10.29.8
HTM=htm@3.1.1
UPLOT=uplot@1.6.32

here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/src/nanoping/dashboard/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack SPEC DIR: npm pack SPEC and unpack it into DIR
    (cd "$work" && npm pack --silent "$1" >/dev/null)
    mkdir -p "$work/$2"
    tar xzf "$work"/"$2"-*.tgz -C "$work/$2" --strip-components=1
}

unpack "$PREACT" preact
unpack "$HTM" htm
unpack "$UPLOT" uplot

mkdir -p "$vendor"
cp "$work/preact/dist/preact.module.js" "$vendor/preact.module.js"
# The hooks module imports "preact" by its bare name; browsers without an import map need a path.
sed 's|from"preact"|from"./preact.module.js"|' "$work/preact/hooks/dist/hooks.module.js" \
    > "$vendor/hooks.module.js"
cp "$work/htm/dist/htm.module.js" "$vendor/htm.module.js"
cp "$work/uplot/dist/uPlot.esm.js" "$vendor/uPlot.esm.js"
cp "$work/uplot/dist/uPlot.min.css" "$vendor/uPlot.min.css"
cp "$work/preact/LICENSE" "$vendor/LICENSE.preact"
cp "$work/htm/LICENSE" "$vendor/LICENSE.htm"
cp "$work/uplot/LICENSE" "$vendor/LICENSE.uplot"

version() { node -p "require('$work/$1/package.json').version + ' ' + require('$work/$1/package.json').license"; }
{
    echo "Front-end libraries served by the dashboard, fetched by scripts/update-dashboard-vendor.sh."
    echo "name version licence (licence text in LICENSE.<name>)"
    echo "preact $(version preact)"
    echo "htm $(version htm)"
    echo "uplot $(version uplot)"
} > "$vendor/VERSIONS.txt"
grep -q 'from"./preact.module.js"' "$vendor/hooks.module.js" || {
    echo "update-dashboard-vendor: the hooks import was not rewritten; check the preact build" >&2
    exit 1
}
echo "vendored into $vendor:"
cat "$vendor/VERSIONS.txt"
