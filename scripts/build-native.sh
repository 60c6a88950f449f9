#!/usr/bin/env bash
# Builds native/netns-switch.c into native/build/netns-switch.node (see the C file for why). Without
# a C compiler or Node's headers it says so and exits 0: virtnet then falls back to nsenter, which
# works, only slower (src/host/netns-switch.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
out=native/build/netns-switch.node
src=native/netns-switch.c
[ -f "$out" ] && [ "$out" -nt "$src" ] && exit 0
include=""
for dir in node_modules/node-api-headers/include "$(node -p 'require("path").resolve(process.execPath, "../../include/node")')"; do
  if [ -f "$dir/node_api.h" ]; then include=$dir; break; fi
done
if ! command -v cc >/dev/null || [ -z "$include" ]; then
  echo "build-native: no C compiler or no node_api.h; namespaces will be entered with nsenter" >&2
  exit 0
fi
mkdir -p native/build
cc -O2 -Wall -Wextra -Werror -shared -fPIC -I "$include" -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
