#!/usr/bin/env bash
# A real single-node Kubernetes 1.20 on this machine, built from Debian packages, with virtnet deployed:
#   k8s-lab.sh up      build (once, cached in /var/cache/virtnet) and start the cluster, deploy virtnet;
#                      prints KUBECONFIG=<path> and CONTAINERD_ADDRESS=<socket> as its last two lines
#   k8s-lab.sh down    stop everything `up` started (by PID) and remove everything it made
#   k8s-lab.sh build   only build the Kubernetes binaries
#   k8s-lab.sh env     print the two lines `up` ends with
# Run as root. Idempotent: `up` on a running lab redeploys virtnet's images if they changed.
set -euo pipefail
LAB_SCRIPTS=$(cd "$(dirname "$0")/k8s-lab" && pwd)
REPO=$(cd "$LAB_SCRIPTS/../.." && pwd)
source "$LAB_SCRIPTS/common.sh"
source "$LAB_SCRIPTS/images.sh"
source "$LAB_SCRIPTS/launcher-image.sh"
source "$LAB_SCRIPTS/cluster.sh"
source "$LAB_SCRIPTS/deploy.sh"
source "$LAB_SCRIPTS/cni-plugin.sh"

print_env() {
  echo "KUBECONFIG=$KUBECONFIG_ADMIN"
  echo "CONTAINERD_ADDRESS=$CONTAINERD_SOCK"
}

case "${1:-}" in
  build)
    bash "$LAB_SCRIPTS/build-kubernetes.sh"
    ;;
  up)
    start=$(date +%s)
    ensure_packages etcd-server=/usr/bin/etcd containerd=/usr/bin/containerd runc=/usr/sbin/runc \
      containernetworking-plugins=/usr/lib/cni/bridge kubernetes-client=/usr/bin/kubectl \
      openssl=/usr/bin/openssl curl=/usr/bin/curl gcc=/usr/bin/cc libc6-dev=/usr/include/stdio.h \
      busybox-static=/bin/busybox nftables=/usr/sbin/nft
    bash "$LAB_SCRIPTS/build-kubernetes.sh"
    cluster_up
    deploy_virtnet
    lab_cni_plugin_wait
    log "up in $(($(date +%s) - start)) s"
    print_env
    ;;
  down)
    cluster_down
    ;;
  env)
    print_env
    ;;
  *)
    echo "usage: $0 up|down|build|env" >&2
    exit 2
    ;;
esac
