#!/usr/bin/env bash
# Installs everything virtnet needs on a fresh Debian 12 machine (run as root): Debian packages,
# node modules, the build. Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages and one program each proves installed (dpkg queries are slow; `command -v` is not).
declare -A PACKAGES=(
  [iproute2]=/usr/sbin/ip
  [nftables]=/usr/sbin/nft
  [containernetworking-plugins]=/usr/lib/cni/bridge
  [qemu-system-x86]=/usr/bin/qemu-system-x86_64
  [qemu-utils]=/usr/bin/qemu-img
  [busybox-static]=/bin/busybox
  [udhcpc]=/sbin/udhcpc
  [isc-dhcp-client]=/sbin/dhclient
  [dhcpcd-base]=/usr/sbin/dhcpcd
  [tcpdump]=/usr/bin/tcpdump
  [dnsmasq-base]=/usr/sbin/dnsmasq
  [kea-dhcp4-server]=/usr/sbin/kea-dhcp4
  [genisoimage]=/usr/bin/genisoimage
  [libvirt-clients]=/usr/bin/virt-xml-validate
  [cloud-init]=/usr/bin/cloud-init
  [passt]=/usr/bin/passt
  [cpio]=/usr/bin/cpio
  [iputils-ping]=/usr/bin/ping
  [netcat-openbsd]=/usr/bin/nc.openbsd
  [socat]=/usr/bin/socat
  [kmod]=/usr/bin/kmod
  [xz-utils]=/usr/bin/xz
  [zstd]=/usr/bin/zstd
  [libxml2-utils]=/usr/bin/xmllint
  [procps]=/usr/sbin/sysctl
  # What node-gyp needs to build the native addons (binding.gyp, scripts/build-native.sh): make, a
  # C compiler and g++ (the linker driver gyp's Makefile uses), and Python for gyp itself. Node's
  # own headers come with Node.
  [build-essential]=/usr/share/build-essential/essential-packages-list
  [python3]=/usr/bin/python3
)
missing=()
for pkg in "${!PACKAGES[@]}"; do
  [ -e "${PACKAGES[$pkg]}" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node modules and the build.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# The guest the VM tests boot (Debian kernel + busybox initramfs); cached, quick when already built.
node dist/cli/main.js guest build >/dev/null
