# virtnet's delegating CNI plugin as the lab's default network, as the node agent installs it on a
# real node: containerd runs virtnet-cni, which delegates eth0 to the lab network
# (10-virtnet-lab.conflist) and each network a pod's k8s.v1.cni.cncf.io/networks names to its NAD.
# Sourced by k8s-lab.sh; defines lab_cni_bin_dir, lab_cni_plugin_install and lab_cni_plugin_remove,
# which `up` does not call yet. Wiring it in takes two steps in cluster.sh: start_containerd writes
# `bin_dir = "$LAB_CNI_BIN_DIR"` (links to /usr/lib/cni's plugins plus virtnet-cni, so /usr/lib/cni
# itself is never written) after calling lab_cni_bin_dir, and `up` calls lab_cni_plugin_install after
# deploy_virtnet (the plugin's ServiceAccount comes with deploy/). containerd picks the new conf up by
# itself (it watches conf_dir). `down` needs nothing more: all of it lives under LAB_DIR, and libcni's
# cache entries are named virtnet-lab-cni-*, which cluster_down's virtnet-lab-* already removes.
LAB_CNI_BIN_DIR=$LAB_DIR/cni/bin
# The plugin's token, kubeconfig and per-container records.
LAB_CNI_PLUGIN_DIR=$LAB_DIR/cni/virtnet-cni

# Fills LAB_CNI_BIN_DIR with links to Debian's plugins (idempotent).
lab_cni_bin_dir() {
  mkdir -p "$LAB_CNI_BIN_DIR"
  local p
  for p in /usr/lib/cni/*; do ln -sfn "$p" "$LAB_CNI_BIN_DIR/$(basename "$p")"; done
}

lab_cni_sa_token() {
  kctl -n virtnet-system get serviceaccount virtnet-cni -o jsonpath='{.secrets[0].name}' 2>/dev/null | grep -q .
}

lab_cni_plugin_install() {
  grep -qF "bin_dir = \"$LAB_CNI_BIN_DIR\"" "$LAB_DIR/containerd/config.toml" ||
    die "containerd's bin_dir is not $LAB_CNI_BIN_DIR: start_containerd must write it"
  lab_cni_bin_dir
  mkdir -p "$LAB_CNI_PLUGIN_DIR"
  chmod 700 "$LAB_CNI_PLUGIN_DIR"
  # The plugin's identity is the virtnet-cni ServiceAccount (get/patch pods, get NADs), with the token
  # the controller-manager put in its Secret; the kubeconfig reads it from a file, as a node agent
  # would keep it current.
  wait_for "the virtnet-cni ServiceAccount's token" 60 lab_cni_sa_token
  local secret
  secret=$(kctl -n virtnet-system get serviceaccount virtnet-cni -o jsonpath='{.secrets[0].name}')
  # Each file written aside and renamed: the plugin reads them on every ADD while a second `up` runs.
  kctl -n virtnet-system get secret "$secret" -o jsonpath='{.data.token}' | base64 -d >"$LAB_CNI_PLUGIN_DIR/token.tmp"
  mv "$LAB_CNI_PLUGIN_DIR/token.tmp" "$LAB_CNI_PLUGIN_DIR/token"
  cp "$PKI/ca.crt" "$LAB_CNI_PLUGIN_DIR/ca.crt.tmp"
  mv "$LAB_CNI_PLUGIN_DIR/ca.crt.tmp" "$LAB_CNI_PLUGIN_DIR/ca.crt"
  cat >"$LAB_CNI_PLUGIN_DIR/kubeconfig.tmp" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: virtnet-lab
  cluster: {server: "https://$BRIDGE_IP:$APISERVER_PORT", certificate-authority: ca.crt}
users:
- name: virtnet-cni
  user: {tokenFile: token}
contexts:
- name: virtnet-cni
  context: {cluster: virtnet-lab, user: virtnet-cni}
current-context: virtnet-cni
KCFG
  mv "$LAB_CNI_PLUGIN_DIR/kubeconfig.tmp" "$LAB_CNI_PLUGIN_DIR/kubeconfig"
  chmod 600 "$LAB_CNI_PLUGIN_DIR"/*
  # The plugin runs from the lab's own build of virtnet (deploy_virtnet compiled it), never from the
  # work tree's dist/, which a test run may be rewriting.
  [ -d "$LAB_DIR/build/dist" ] || die "no virtnet build in $LAB_DIR/build: deploy_virtnet first"
  cp "$REPO/package.json" "$LAB_DIR/build/package.json.tmp"
  mv "$LAB_DIR/build/package.json.tmp" "$LAB_DIR/build/package.json"
  ln -sfn "$REPO/node_modules" "$LAB_DIR/build/node_modules"
  # The native addons every virtnet process loads at start, beside the build as in the work tree.
  local addon
  mkdir -p "$LAB_DIR/build/build/Release"
  for addon in "$REPO"/build/Release/*.node; do
    cp "$addon" "$LAB_DIR/build/build/Release/.$(basename "$addon").tmp"
    mv "$LAB_DIR/build/build/Release/.$(basename "$addon").tmp" "$LAB_DIR/build/build/Release/$(basename "$addon")"
  done
  log "installing virtnet-cni as the default network"
  node "$LAB_DIR/build/dist/cli/main.js" kube cni-install \
    --cni-bin-dir "$LAB_CNI_BIN_DIR" \
    --cni-conf-dir "$LAB_DIR/cni/net.d" \
    --cluster-network "$LAB_DIR/cni/net.d/10-virtnet-lab.conflist" \
    --kubeconfig "$LAB_CNI_PLUGIN_DIR/kubeconfig" \
    --cache-dir "$LAB_CNI_PLUGIN_DIR/cache" \
    --name virtnet-lab-cni \
    --home "$LAB_DIR/build" \
    --node "$(command -v node)" >/dev/null
}

# Back to the plain lab network. Pods added through the plugin keep their records, so their DELs
# still find what was delegated for them only while the plugin is installed: remove it with no pod
# running, or before `down`.
lab_cni_plugin_remove() {
  [ -d "$LAB_CNI_BIN_DIR" ] || return 0
  node "$LAB_DIR/build/dist/cli/main.js" kube cni-install --remove \
    --cni-bin-dir "$LAB_CNI_BIN_DIR" --cni-conf-dir "$LAB_DIR/cni/net.d"
}
