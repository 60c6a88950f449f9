# virtnet's delegating CNI plugin as the lab's default network, installed by the node agent as on any
# node (src/agent/cni-plugin-setup.ts): containerd runs virtnet-cni, which delegates eth0 to the lab
# network (10-virtnet-lab.conflist) and each network a pod's k8s.v1.cni.cncf.io/networks names to its
# NAD. The lab's part: containerd's bin_dir is LAB_CNI_BIN_DIR (links to /usr/lib/cni's plugins, so
# /usr/lib/cni itself is never written; the agent adds virtnet-cni there), the agent's DaemonSet is
# pointed at the lab's dirs (deploy.sh's overlay), and `up` waits for the agent's install. `down`
# needs nothing more: all of it lives under LAB_DIR, and libcni's cache entries are named
# virtnet-lab-cni-*, which cluster_down's virtnet-lab-* already removes.
# Sourced by k8s-lab.sh.
LAB_CNI_BIN_DIR=$LAB_DIR/cni/bin
LAB_CNI_CONF_DIR=$LAB_DIR/cni/net.d
# The plugin's bundle, kubeconfig and per-container records (the agent's --cni-plugin-home).
LAB_CNI_PLUGIN_HOME=$LAB_DIR/cni/virtnet-cni
LAB_CNI_NETWORK_NAME=virtnet-lab-cni
LAB_CLUSTER_NETWORK=$LAB_CNI_CONF_DIR/10-virtnet-lab.conflist

# Fills LAB_CNI_BIN_DIR with links to Debian's plugins (idempotent).
lab_cni_bin_dir() {
  mkdir -p "$LAB_CNI_BIN_DIR"
  local p
  for p in /usr/lib/cni/*; do ln -sfn "$p" "$LAB_CNI_BIN_DIR/$(basename "$p")"; done
}

lab_cni_plugin_installed() {
  [ -x "$LAB_CNI_BIN_DIR/virtnet-cni" ] && [ -s "$LAB_CNI_CONF_DIR/00-virtnet.conflist" ] &&
    grep -q "\"name\": \"$LAB_CNI_NETWORK_NAME\"" "$LAB_CNI_CONF_DIR/00-virtnet.conflist"
}

# Waits until the node agent has installed the plugin (containerd picks the conf up by itself: it
# watches conf_dir).
lab_cni_plugin_wait() {
  grep -qF "bin_dir = \"$LAB_CNI_BIN_DIR\"" "$LAB_DIR/containerd/config.toml" ||
    die "containerd's bin_dir is not $LAB_CNI_BIN_DIR: start_containerd must write it"
  wait_for "the node agent's install of virtnet-cni" 120 lab_cni_plugin_installed
}
