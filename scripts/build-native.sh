#!/usr/bin/env bash
# Builds each native/*.c into native/build/*.node (see each C file for why). Without a C compiler or
# Node's headers it says so and exits 0: virtnet then falls back to nsenter, Node's own spawn and
# Node's dgram, which work, only slower (src/host/netns-switch.ts, src/exec/fast-spawn.ts,
# src/dhcp/transport). An addon that needs libuv's header (uv.h: Node's own include directory, or
# Debian's libuv1-dev) is skipped without it.
set -euo pipefail
cd "$(dirname "$0")/.."
node_include="$(node -p 'require("path").resolve(process.execPath, "../../include/node")')"
include=()
for dir in node_modules/node-api-headers/include "$node_include"; do
  if [ -f "$dir/node_api.h" ]; then include+=(-I "$dir"); fi
done
if ! command -v cc >/dev/null || [ ${#include[@]} -eq 0 ]; then
  echo "build-native: no C compiler or no node_api.h; using the portable fallbacks instead" >&2
  exit 0
fi
# Node's uv.h matches the libuv Node runs; Debian's (/usr/include) is the same ABI (libuv 1.x).
if [ -f "$node_include/uv.h" ]; then include+=(-I "$node_include"); fi
have_uv=0
if printf '#include <uv.h>\n' | cc "${include[@]}" -E -x c - >/dev/null 2>&1; then have_uv=1; fi
mkdir -p native/build
# The newest shared header: an addon older than it is rebuilt too.
header=$(ls -t native/*.h 2>/dev/null | head -1)
for src in native/*.c; do
  out=native/build/$(basename "$src" .c).node
  [ -f "$out" ] && [ "$out" -nt "$src" ] && { [ -z "$header" ] || [ "$out" -nt "$header" ]; } && continue
  if grep -q '#include <uv.h>' "$src" && [ $have_uv = 0 ]; then
    echo "build-native: no uv.h, skipping $src (its portable fallback is used)" >&2
    continue
  fi
  cc -O2 -Wall -Wextra -Werror -shared -fPIC -pthread "${include[@]}" -o "$out.tmp" "$src"
  mv "$out.tmp" "$out"
done
