# Builds the lab's images as docker-archive tars from files already on this machine (no registry, no
# image builder): the pod sandbox ("pause"), virtnet (Node.js + the built project + its production
# modules; deploy/images/virtnet.Containerfile is the same image for docker/podman users), and the
# busybox peer image tests run next to VMs, and the node agent (the virtnet image plus the network
# tools it runs: ip, nft, tc). Sourced.
source "$(dirname "${BASH_SOURCE[0]}")/image-archive.sh"

PAUSE_IMAGE=localhost/virtnet-lab/pause:1
VIRTNET_IMAGE=localhost/virtnet:lab
AGENT_IMAGE=localhost/virtnet-agent:lab
PEER_IMAGE=localhost/virtnet-peer:lab

# Copies a program and the shared libraries it loads into ROOTFS at the same paths.
copy_program() {
  local rootfs=$1 program=$2 lib
  install -D -m 0755 "$(readlink -f "$program")" "$rootfs$program"
  for lib in $(ldd "$program" | grep -o '/[^ ]*'); do
    install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
  done
}

build_pause_image() {
  local out=$1 work
  work=$(mktemp -d)
  cc -static -O2 -o "$work/pause" "$LAB_SCRIPTS/pause.c"
  mkdir "$work/rootfs" && install -m 0755 "$work/pause" "$work/rootfs/pause"
  image_archive "$work/rootfs" "$PAUSE_IMAGE" "$out" '{"Entrypoint":["/pause"]}'
  rm -rf "$work"
}

build_peer_image() {
  local out=$1 work applet
  work=$(mktemp -d)
  mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp"
  install -m 0755 /bin/busybox "$work/rootfs/bin/busybox"
  for applet in sh ash ip nc sleep cat echo ls ps ping udhcpc ifconfig route hostname wget env kill; do
    ln -s busybox "$work/rootfs/bin/$applet"
  done
  image_archive "$work/rootfs" "$PEER_IMAGE" "$out" '{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]}'
  rm -rf "$work"
}

# virtnet_rootfs ROOTFS REPO DIST: Node.js, the compiled project (DIST, tsc's output) and its
# production modules under ROOTFS/app.
virtnet_rootfs() {
  local rootfs=$1 repo=$2 dist=$3 pkg
  local app=$rootfs/app
  copy_program "$rootfs" /usr/bin/node
  mkdir -p "$app" "$rootfs/tmp" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp -a "$dist" "$app/dist"
  cp -a "$repo/package.json" "$app/"
  # The native addons, required (src/exec/native-addon.ts loads them from build/Release).
  mkdir -p "$app/build/Release" && cp -a "$repo"/build/Release/*.node "$app/build/Release/"
  # Production dependencies only (what `npm ci --omit=dev` installs in the Containerfile).
  (cd "$repo" && npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2) | while read -r pkg; do
    mkdir -p "$app/$(dirname "${pkg#"$repo"/}")"
    cp -a "$pkg" "$app/${pkg#"$repo"/}"
  done
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$rootfs/etc/passwd"
}

VIRTNET_IMAGE_CONFIG='{"Entrypoint":["/usr/bin/node","/app/dist/cli/main.js"],"WorkingDir":"/app","Env":["NODE_ENV=production"]}'

# build_virtnet_image OUT.tar REPO DIST: DIST is the compiled project (tsc's output).
build_virtnet_image() {
  local out=$1 work
  work=$(mktemp -d)
  virtnet_rootfs "$work/rootfs" "$2" "$3"
  image_archive "$work/rootfs" "$VIRTNET_IMAGE" "$out" "$VIRTNET_IMAGE_CONFIG"
  rm -rf "$work"
}

# build_agent_image OUT.tar REPO DIST: the virtnet image plus the programs the node agent runs
# (deploy/images/agent.Containerfile is the same for docker/podman users).
build_agent_image() {
  local out=$1 work program
  work=$(mktemp -d)
  virtnet_rootfs "$work/rootfs" "$2" "$3"
  for program in /usr/sbin/ip /usr/sbin/nft /usr/sbin/tc; do
    copy_program "$work/rootfs" "$program"
  done
  mkdir -p "$work/rootfs/var/run/netns" "$work/rootfs/var/lib/virtnet"
  image_archive "$work/rootfs" "$AGENT_IMAGE" "$out" \
    '{"Entrypoint":["/usr/bin/node","/app/dist/cli/main.js"],"WorkingDir":"/app","Env":["NODE_ENV=production","PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
  rm -rf "$work"
}
