#!/usr/bin/env bash
# Runs as the kubelet's wrapper inside its private mount namespace (k8s-lab.sh starts it under
# `unshare -m --propagation unchanged`): covers the host sysctl files the kubelet insists on writing with
# plain files, so its writes land there and the host's kernel settings never change, then execs the kubelet.
# /proc is private on this machine, so these bind mounts stay in this namespace; the kubelet's root
# directory is a shared mount, so the volume mounts it makes there (secrets, tokens) reach containerd.
# Usage: kubelet-in-mount-ns.sh SYSCTL_DIR KUBELET_BINARY ARGS...
set -euo pipefail
sysctl_dir=$1 kubelet=$2
shift 2
mount --make-rprivate /proc
for f in "$sysctl_dir"/*; do
  mount --bind "$f" "/proc/sys/$(basename "$f" | tr . /)"
done
exec "$kubelet" "$@"
