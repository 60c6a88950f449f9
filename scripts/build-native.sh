#!/usr/bin/env bash
# Builds each native/*.c into native/build/*.node (see each C file for why). Without a C compiler or
# Node's headers it says so and exits 0: virtnet then falls back to nsenter and Node's own spawn,
# which work, only slower (src/host/netns-switch.ts, src/exec/fast-spawn.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
include=""
for dir in node_modules/node-api-headers/include "$(node -p 'require("path").resolve(process.execPath, "../../include/node")')"; do
  if [ -f "$dir/node_api.h" ]; then include=$dir; break; fi
done
if ! command -v cc >/dev/null || [ -z "$include" ]; then
  echo "build-native: no C compiler or no node_api.h; using nsenter and Node's own spawn instead" >&2
  exit 0
fi
mkdir -p native/build
for src in native/*.c; do
  out=native/build/$(basename "$src" .c).node
  [ -f "$out" ] && [ "$out" -nt "$src" ] && continue
  cc -O2 -Wall -Wextra -Werror -shared -fPIC -pthread -I "$include" -o "$out.tmp" "$src"
  mv "$out.tmp" "$out"
done
