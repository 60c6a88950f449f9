# Builds the launcher image (the VM container of every launcher pod) as a docker-archive tar from
# files on this machine: the virtnet image's contents, QEMU (qemu-system-x86_64, the TCG accelerator
# module it loads at run time, their shared libraries, and the firmware it reads for `-machine pc`:
# SeaBIOS, the linuxboot/kvmvapic option ROMs, the iPXE ROMs a NIC with a boot order loads),
# genisoimage for NoCloud seeds, the default guest (kernel + initramfs from `virtnet guest build`,
# with the guest sources the cache is checked against), and a static busybox for the readiness probe
# and kernelBoot copies. deploy/images/launcher.Containerfile is the same image for docker/podman users.
# Sourced (after images.sh, which it sources itself when needed); defines build_launcher_image.
[ "$(type -t build_virtnet_image)" = function ] || source "$(dirname "${BASH_SOURCE[0]}")/images.sh"

LAUNCHER_IMAGE=localhost/virtnet-launcher:lab
# Where the default guest lives in the image ($VIRTNET_GUEST_DIR there).
LAUNCHER_GUEST_DIR=/usr/share/virtnet/guest

# The files QEMU opens besides its libraries for the machines virtnet builds (strace of a `-machine pc
# -accel tcg` kernel boot with virtio-net and virtio-blk: accel-tcg-x86_64.so, bios-256k.bin,
# kvmvapic.bin, linuxboot_dma.bin), plus the other x86 boot ROMs and the NIC ROMs for network boot.
copy_qemu() {
  local rootfs=$1 f
  copy_program "$rootfs" /usr/bin/qemu-system-x86_64
  copy_program "$rootfs" /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
  mkdir -p "$rootfs/usr/share/qemu" "$rootfs/usr/lib/ipxe"
  for f in kvmvapic.bin linuxboot.bin linuxboot_dma.bin multiboot.bin multiboot_dma.bin pvh.bin; do
    cp -L "/usr/share/qemu/$f" "$rootfs/usr/share/qemu/"
  done
  cp -rL /usr/share/seabios "$rootfs/usr/share/seabios"
  [ -d /usr/lib/ipxe/qemu ] && cp -rL /usr/lib/ipxe/qemu "$rootfs/usr/lib/ipxe/qemu"
  return 0
}

# build_launcher_image OUT.tar REPO DIST: DIST is the compiled project (tsc's output).
build_launcher_image() {
  local out=$1 repo=$2 dist=$3 work guest_dir
  work=$(mktemp -d)
  build_virtnet_image "$work/virtnet.tar" "$repo" "$dist"
  mkdir "$work/rootfs"
  tar -xOf "$work/virtnet.tar" layer.tar | tar -x -C "$work/rootfs"
  rm "$work/virtnet.tar"
  local rootfs=$work/rootfs
  copy_qemu "$rootfs"
  copy_program "$rootfs" /usr/bin/genisoimage
  install -D -m 0755 /bin/busybox "$rootfs/bin/busybox"
  # The guest, built (or found current in its cache) by the repository's own CLI.
  guest_dir=$(cd "$repo" && node_modules/.bin/tsx src/cli/main.ts guest build -o json |
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).dir)')
  mkdir -p "$rootfs$LAUNCHER_GUEST_DIR"
  cp "$guest_dir/vmlinuz" "$guest_dir/initrd.img" "$guest_dir/manifest.json" "$rootfs$LAUNCHER_GUEST_DIR/"
  cp -a "$repo/guest" "$rootfs/app/guest"
  echo 'root:x:0:0:root:/root:/bin/busybox' >>"$rootfs/etc/passwd"
  image_archive "$rootfs" "$LAUNCHER_IMAGE" "$out" \
    "{\"Entrypoint\":[\"/usr/bin/node\",\"/app/dist/cli/main.js\"],\"WorkingDir\":\"/app\",\"Env\":[\"NODE_ENV=production\",\"PATH=/usr/bin:/bin\",\"VIRTNET_GUEST_DIR=$LAUNCHER_GUEST_DIR\"]}"
  rm -rf "$work"
}
