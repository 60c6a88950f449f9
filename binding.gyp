# virtnet's native addons (see each native/*.c for why it exists), built by node-gyp into
# build/Release/NAME.node. scripts/build-native.sh passes --nodedir (Node's own headers) so the
# build never downloads anything.
{
  "target_defaults": {
    "cflags": ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread"],
    "ldflags": ["-pthread"]
  },
  "targets": [
    { "target_name": "fast-spawn", "sources": ["native/fast-spawn.c"] },
    { "target_name": "netns-switch", "sources": ["native/netns-switch.c"] },
    { "target_name": "udp-pktinfo", "sources": ["native/udp-pktinfo.c"] }
  ]
}
