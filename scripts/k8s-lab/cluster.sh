# The lab cluster's daemons: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd
# and the kubelet, each started by this script with its PID recorded, and stopped by that PID. Sourced
# by k8s-lab.sh after common.sh; defines cluster_up and cluster_down.

NODE_NAME=virtnet-lab
BRIDGE=vnlab0
BRIDGE_IP=10.213.0.1
POD_SUBNET=10.213.0.0/24
SERVICE_CIDR=10.213.128.0/24
KUBERNETES_SERVICE_IP=10.213.128.1
APISERVER_PORT=6443
ETCD_CLIENT=127.0.0.1:23791
ETCD_PEER=127.0.0.1:23801
NFT_TABLE=virtnet_lab
CONTAINERD_SOCK=$LAB_DIR/containerd/containerd.sock
KUBECONFIG_ADMIN=$LAB_DIR/admin.kubeconfig
PKI=$LAB_DIR/pki
# The host sysctls the kubelet writes on start (kubelet/cm/container_manager_linux.go setupKernelTunables).
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths outside LAB_DIR that the daemons create whatever they are told (the kubelet's log and device-plugin
# directories, the shims' socket and runc state directory); `down` removes those `up` found absent.
KUBELET_HOST_PATHS=(/var/log/pods /var/log/containers /var/lib/kubelet)
CONTAINERD_HOST_PATHS=(/run/containerd)
# libcni's cache directory, which other CNI users share: `down` removes only the lab network's entries,
# and the directories only if that leaves them empty.
CNI_CACHE_DIR=/var/lib/cni

# Records PATH for removal by `down` (rm -rf, or rmdir-if-empty with MODE=rmdir) when it does not exist yet.
record_if_absent() {
  local path=$1 mode=${2:-rm}
  [ -e "$path" ] || echo "$mode $path" >>"$LAB_DIR/created-paths"
}

kctl() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_lab() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

pid_alive() {
  local pidfile=$LAB_DIR/pids/$1.pid pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -d "/proc/$pid" ] && grep -qa "$1" "/proc/$pid/cmdline" 2>/dev/null
}

# start_daemon NAME ARGV...: setsid'd, logs in $LAB_DIR/log/NAME.log, PID in $LAB_DIR/pids/NAME.pid.
start_daemon() {
  local name=$1
  shift
  if pid_alive "$name"; then return 0; fi
  log "starting $name"
  setsid "$@" >>"$LAB_DIR/log/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB_DIR/pids/$name.pid"
}

stop_daemon() {
  local name=$1 pidfile=$LAB_DIR/pids/$1.pid pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if pid_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$pidfile"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.5 s.
wait_for() {
  local what=$1 seconds=$2 i
  shift 2
  for i in $(seq 1 $((seconds * 2))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what not ready after ${seconds} s (logs: $LAB_DIR/log/)"
}

make_pki() {
  [ -s "$PKI/ca.crt" ] && return 0
  mkdir -p "$PKI" && chmod 700 "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=virtnet-lab-ca \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
    -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s,IP:%s,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' \
    "$BRIDGE_IP" "$KUBERNETES_SERVICE_IP" >"$PKI/apiserver.ext"
  openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/apiserver.ext" -out "$PKI/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  # Static tokens (token,user,uid,"groups"): one identity per component, as RBAC's bootstrap roles expect.
  {
    printf '%s,admin,admin,"system:masters"\n' "$(openssl rand -hex 16)"
    printf '%s,system:kube-controller-manager,system:kube-controller-manager,""\n' "$(openssl rand -hex 16)"
    printf '%s,system:kube-scheduler,system:kube-scheduler,""\n' "$(openssl rand -hex 16)"
    printf '%s,system:node:%s,system:node:%s,"system:nodes"\n' "$(openssl rand -hex 16)" "$NODE_NAME" "$NODE_NAME"
  } >"$PKI/tokens.csv"
  chmod 600 "$PKI"/*
}

# write_kubeconfig FILE USER
write_kubeconfig() {
  local file=$1 user=$2 token
  token=$(awk -F, -v u="$user" '$2 == u {print $1}' "$PKI/tokens.csv")
  # Written aside and renamed: kubectl and the daemons read it while a second `up` rewrites it.
  (umask 077 && cat >"$file.tmp") <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: virtnet-lab
  cluster:
    server: https://$BRIDGE_IP:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    token: $token
contexts:
- name: virtnet-lab
  context: {cluster: virtnet-lab, user: $user}
current-context: virtnet-lab
KCFG
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

setup_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # What kube-proxy would do for the one Service pods need: the apiserver's ClusterIP.
  if ! nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
    cat >"$LAB_DIR/nft.conf" <<NFT
table ip $NFT_TABLE {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $KUBERNETES_SERVICE_IP tcp dport 443 dnat to $BRIDGE_IP:$APISERVER_PORT
  }
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr $KUBERNETES_SERVICE_IP tcp dport 443 dnat to $BRIDGE_IP:$APISERVER_PORT
  }
}
NFT
    nft -f "$LAB_DIR/nft.conf"
  fi
  mkdir -p "$LAB_DIR/cni/net.d" "$LAB_DIR/cni/ipam"
  # isGateway stays false: the bridge plugin would turn on the host's ip_forward. The bridge already
  # carries the gateway address; pods route through it.
  # Written aside and renamed (the runtime and virtnet-cni read it while a second `up` rewrites it).
  cat >"$LAB_DIR/cni/net.d/10-virtnet-lab.conflist.tmp" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "virtnet-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$LAB_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_SUBNET", "rangeStart": "${BRIDGE_IP%.*}.10", "gateway": "$BRIDGE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
CNI
  mv "$LAB_DIR/cni/net.d/10-virtnet-lab.conflist.tmp" "$LAB_DIR/cni/net.d/10-virtnet-lab.conflist"
}

start_containerd() {
  mkdir -p "$LAB_DIR/containerd"
  # CNI plugins come from the lab's own bin dir (links to Debian's plus virtnet-cni, see
  # cni-plugin.sh), so /usr/lib/cni is never written.
  lab_cni_bin_dir
  cat >"$LAB_DIR/containerd/config.toml.new" <<TOML
version = 2
root = "$LAB_DIR/containerd/root"
state = "$LAB_DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$LAB_DIR/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$LAB_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # runc cannot set oom_score_adj below the parent's here (no CAP_SYS_RESOURCE): without this every
  # sandbox fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$LAB_CNI_BIN_DIR"
    conf_dir = "$LAB_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
TOML
  if ! cmp -s "$LAB_DIR/containerd/config.toml.new" "$LAB_DIR/containerd/config.toml" && pid_alive containerd; then
    # containerd reads its config once: a running one with an older config restarts (its shims, and
    # so the running pods, stay).
    log "restarting containerd for its new configuration"
    stop_daemon containerd
  fi
  mv "$LAB_DIR/containerd/config.toml.new" "$LAB_DIR/containerd/config.toml"
  local p
  for p in "${CONTAINERD_HOST_PATHS[@]}"; do record_if_absent "$p"; done
  record_if_absent "$CNI_CACHE_DIR" rmdir
  start_daemon containerd containerd --config "$LAB_DIR/containerd/config.toml"
  wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
}

start_control_plane() {
  start_daemon etcd etcd --name virtnet-lab --data-dir "$LAB_DIR/etcd" \
    --listen-client-urls "http://$ETCD_CLIENT" --advertise-client-urls "http://$ETCD_CLIENT" \
    --listen-peer-urls "http://$ETCD_PEER" --initial-advertise-peer-urls "http://$ETCD_PEER" \
    --initial-cluster "virtnet-lab=http://$ETCD_PEER" --listen-metrics-urls "" --log-level warn
  wait_for etcd 30 curl -sf "http://$ETCD_CLIENT/health"
  # --enable-aggregator-routing: webhooks are dialled at their endpoints (pod IPs on the lab bridge),
  # as there is no kube-proxy to route a webhook Service's ClusterIP.
  start_daemon kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://$ETCD_CLIENT" \
    --bind-address "$BRIDGE_IP" --advertise-address "$BRIDGE_IP" --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --cert-dir "$LAB_DIR/apiserver-certs" \
    --token-auth-file "$PKI/tokens.csv" --authorization-mode Node,RBAC \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --allow-privileged=true --enable-aggregator-routing=true \
    --kubelet-preferred-address-types InternalIP --profiling=false
  wait_for kube-apiserver 90 kctl get --raw /readyz
  start_daemon kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$LAB_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$LAB_DIR/controller-manager.kubeconfig" --authorization-kubeconfig "$LAB_DIR/controller-manager.kubeconfig" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false \
    --port 0 --bind-address 127.0.0.1 --secure-port 10357 --cert-dir "$LAB_DIR/controller-manager-certs" \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
  start_daemon kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$LAB_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$LAB_DIR/scheduler.kubeconfig" --authorization-kubeconfig "$LAB_DIR/scheduler.kubeconfig" \
    --leader-elect=false --port 0 --bind-address 127.0.0.1 --secure-port 10359 --cert-dir "$LAB_DIR/scheduler-certs" \
    --profiling=false
}

start_kubelet() {
  local s
  mkdir -p "$LAB_DIR/kubelet" "$LAB_DIR/sysctl"
  # The kubelet's root directory is a shared mount so that its volume mounts, made in its own mount
  # namespace, are seen by containerd in the host's.
  if ! mountpoint -q "$LAB_DIR/kubelet"; then
    mount --bind "$LAB_DIR/kubelet" "$LAB_DIR/kubelet"
    mount --make-shared "$LAB_DIR/kubelet"
  fi
  for s in "${KUBELET_SYSCTLS[@]}"; do
    [ -e "$LAB_DIR/sysctl/$s" ] || cat "/proc/sys/$(echo "$s" | tr . /)" >"$LAB_DIR/sysctl/$s"
  done
  for s in "${KUBELET_HOST_PATHS[@]}"; do record_if_absent "$s"; done
  start_daemon kubelet unshare -m --propagation unchanged -- "$LAB_SCRIPTS/kubelet-in-mount-ns.sh" "$LAB_DIR/sysctl" "$KUBE_BIN/kubelet" \
    --kubeconfig "$LAB_DIR/kubelet.kubeconfig" --hostname-override "$NODE_NAME" \
    --node-ip "$BRIDGE_IP" --address "$BRIDGE_IP" --port 10250 --read-only-port 0 \
    --healthz-bind-address 127.0.0.1 --healthz-port 10348 \
    --root-dir "$LAB_DIR/kubelet" --cert-dir "$LAB_DIR/kubelet-pki" \
    --volume-plugin-dir "$LAB_DIR/kubelet-plugins" \
    --container-runtime remote --container-runtime-endpoint "unix://$CONTAINERD_SOCK" \
    --pod-infra-container-image "$PAUSE_IMAGE" \
    --cgroup-driver cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
    --fail-swap-on=false --eviction-hard= --make-iptables-util-chains=false \
    --image-gc-high-threshold 100 --image-gc-low-threshold 99 \
    --resolv-conf /etc/resolv.conf --anonymous-auth=true --authorization-mode AlwaysAllow
}

import_image() {
  local tar=$1
  ctr_lab images import --no-unpack=false "$tar" >/dev/null
}

cluster_up() {
  mkdir -p "$LAB_DIR/log" "$LAB_DIR/pids"
  make_pki
  write_kubeconfig "$KUBECONFIG_ADMIN" admin
  write_kubeconfig "$LAB_DIR/controller-manager.kubeconfig" system:kube-controller-manager
  write_kubeconfig "$LAB_DIR/scheduler.kubeconfig" system:kube-scheduler
  write_kubeconfig "$LAB_DIR/kubelet.kubeconfig" "system:node:$NODE_NAME"
  setup_network
  start_containerd
  local pause_tar=$CACHE_DIR/images/pause.tar
  mkdir -p "$CACHE_DIR/images"
  [ -s "$pause_tar" ] && [ "$pause_tar" -nt "$LAB_SCRIPTS/pause.c" ] || build_pause_image "$pause_tar"
  import_image "$pause_tar"
  start_control_plane
  start_kubelet
  wait_for "node $NODE_NAME" 120 kctl get node "$NODE_NAME"
  kctl wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null
  # Pods need the default service account, made by the controller-manager.
  wait_for "default service account" 60 kctl -n default get serviceaccount default
}

# Mounts at or below a directory, deepest first.
mounts_under() {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r
}

# Stops the pods' containers through containerd and removes their network namespaces, using
# containerd's own record of what it created (the kubelet is stopped first so nothing restarts them).
remove_containers() {
  [ -S "$CONTAINERD_SOCK" ] && pid_alive containerd || return 0
  local id netns
  for id in $(ctr_lab tasks ls -q 2>/dev/null); do
    ctr_lab tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  sleep 0.5
  for id in $(ctr_lab containers ls -q 2>/dev/null); do
    netns=$(ctr_lab containers info "$id" 2>/dev/null | grep -o '"path": "/var/run/netns/cni-[^"]*"' | head -1 | cut -d'"' -f4 || true)
    ctr_lab tasks delete -f "$id" >/dev/null 2>&1 || true
    ctr_lab containers delete "$id" >/dev/null 2>&1 || true
    if [ -n "$netns" ] && [ -e "$netns" ]; then
      echo "$netns" >>"$LAB_DIR/netns-to-remove"
    fi
  done
}

cluster_down() {
  [ -d "$LAB_DIR" ] || return 0
  if pid_alive kube-apiserver && pid_alive kubelet; then
    # Let the kubelet stop the pods (CNI DEL, sandbox removal) while it still runs.
    kctl delete namespace virtnet-system --wait=false >/dev/null 2>&1 || true
    kctl delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 60); do
      [ -z "$(ctr_lab tasks ls -q 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  stop_daemon kubelet
  remove_containers
  # containerd's shims outlive it: each recorded its PID in containerd's state directory.
  local shim_pids
  shim_pids=$(cat "$LAB_DIR"/containerd/state/io.containerd.runtime.v2.task/k8s.io/*/shim.pid 2>/dev/null || true)
  stop_daemon kube-scheduler
  stop_daemon kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
  stop_daemon containerd
  local pid
  for pid in $shim_pids; do kill -KILL "$pid" 2>/dev/null || true; done
  local ns
  if [ -s "$LAB_DIR/netns-to-remove" ]; then
    while read -r ns; do
      [ -e "$ns" ] || continue
      umount "$ns" 2>/dev/null || true
      rm -f "$ns"
    done <"$LAB_DIR/netns-to-remove"
  fi
  local m
  for m in $(mounts_under "$LAB_DIR"); do umount "$m" 2>/dev/null || umount -l "$m"; done
  # runc's cgroups of the pods' containers (cgroupfs driver, no QoS hierarchy: /k8s.io/<id>).
  local dir
  for dir in /sys/fs/cgroup/*/k8s.io; do
    [ -d "$dir" ] || continue
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  nft delete table ip "$NFT_TABLE" 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  # The CNI result cache containerd's libcni keeps: only the lab network's entries.
  rm -f "$CNI_CACHE_DIR"/results/virtnet-lab-* 2>/dev/null || true
  if [ -s "$LAB_DIR/created-paths" ]; then
    local mode path
    while read -r mode path; do
      case "$mode" in
        rm) rm -rf "$path" ;;
        rmdir) [ -d "$path" ] && find "$path" -depth -type d -empty -delete ;;
      esac
    done < <(sort -u "$LAB_DIR/created-paths")
  fi
  rm -rf "$LAB_DIR"
}
