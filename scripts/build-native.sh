#!/usr/bin/env bash
# Builds the native addons (binding.gyp: native/*.c → build/Release/*.node) with node-gyp, against
# the headers of the Node that runs virtnet (its include/node: node_api.h, uv.h, common.gypi), so
# nothing is downloaded. The addons are required: without a compiler or the headers this fails.
set -euo pipefail
cd "$(dirname "$0")/.."
nodedir="$(node -p 'require("path").resolve(process.execPath, "../..")')"
if [ ! -f "$nodedir/include/node/node_api.h" ] || [ ! -f "$nodedir/include/node/common.gypi" ]; then
  echo "build-native: Node's headers are not in $nodedir/include/node (install Node with its headers)" >&2
  exit 1
fi
gyp=(node node_modules/node-gyp/bin/node-gyp.js --nodedir="$nodedir" --loglevel=warn)
# Configure once (and again when binding.gyp or the Node changes); make rebuilds only what changed.
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ] || ! grep -qF "\"nodedir\": \"$nodedir\"" build/config.gypi; then
  "${gyp[@]}" configure
fi
"${gyp[@]}" build --jobs="$(nproc)" >/dev/null
