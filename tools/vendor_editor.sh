#!/bin/sh
# Refresh the vendored block editor (GrapesJS and its MJML plugin) from npm: only the dist
# files the editor page loads are copied into the static files (no CDN at run time).
# Usage: tools/vendor_editor.sh [grapesjs-version] [grapesjs-mjml-version]
set -eu
GRAPESJS=${1:-0.23.6}
GRAPESJS_MJML=${2:-1.0.8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/src/mailwright/web/static/web/vendor/grapesjs"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "grapesjs@$GRAPESJS" "grapesjs-mjml@$GRAPESJS_MJML" >/dev/null
mkdir g m
tar xzf "grapesjs-$GRAPESJS.tgz" -C g
tar xzf "grapesjs-mjml-$GRAPESJS_MJML.tgz" -C m
mkdir -p "$DEST"
cp g/package/dist/grapes.min.js "$DEST/grapes.min.js"
cp g/package/dist/css/grapes.min.css "$DEST/grapes.min.css"
cp g/package/LICENSE "$DEST/LICENSE-grapesjs"
cp m/package/dist/index.js "$DEST/grapesjs-mjml.min.js"
# The plugin bundles mjml-browser (MIT); its licence text is in the plugin's package.
cp m/package/LICENSE "$DEST/LICENSE-grapesjs-mjml" 2>/dev/null \
  || printf 'grapesjs-mjml %s: BSD-3-Clause (see https://github.com/GrapesJS/mjml)\n' \
    "$GRAPESJS_MJML" >"$DEST/LICENSE-grapesjs-mjml"
# Source maps point at files we do not ship: drop the reference (no 404 in the console).
sed -i 's|//# sourceMappingURL=.*$||' "$DEST/grapes.min.js" "$DEST/grapesjs-mjml.min.js"
sed -i 's|/\*# sourceMappingURL=.*\*/||' "$DEST/grapes.min.css"
echo "vendored grapesjs $GRAPESJS and grapesjs-mjml $GRAPESJS_MJML into $DEST"
