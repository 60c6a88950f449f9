# Shared settings of the Kubernetes lab scripts (sourced, never run). Everything the lab keeps lives
# outside the repository: build products under CACHE_DIR (kept across `down`, so the next `up` is quick),
# the running cluster's state under LAB_DIR (removed by `down`).
KUBE_VERSION=v1.20.2
CACHE_DIR=${VIRTNET_LAB_CACHE:-/var/cache/virtnet}
LAB_DIR=${VIRTNET_LAB_DIR:-/var/lib/virtnet-lab}
KUBE_CACHE=$CACHE_DIR/kubernetes-$KUBE_VERSION
KUBE_BIN=$KUBE_CACHE/bin
KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { echo "k8s-lab: $*" >&2; }
die() { echo "k8s-lab: error: $*" >&2; exit 1; }

# Installs the Debian packages whose proof file is missing. Arguments: package=path pairs.
# DPkg::Lock::Timeout: other engineers' scripts may hold the dpkg lock for a while.
ensure_packages() {
  local missing=() pair
  for pair in "$@"; do
    [ -e "${pair#*=}" ] || missing+=("${pair%%=*}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
