# Deploys virtnet into the lab from deploy/ (the kustomize base users apply), through an overlay that
# only sets imagePullPolicy: Never (there is no registry: the images are imported into containerd).
# Sourced by k8s-lab.sh; defines deploy_virtnet.

# A VMI that only a working webhook pair admits; created with server-side dry-run, so nothing is stored.
PROBE_VMI='{"apiVersion":"virtnet.io/v1alpha1","kind":"VirtualMachineInstance","metadata":{"name":"lab-probe","namespace":"default"},"spec":{"domain":{"devices":{}}}}'

webhook_answers() {
  # The mutating webhook must have added the default interface: proof both webhooks are reachable.
  kctl create --dry-run=server -o jsonpath='{.spec.domain.devices.interfaces[0].name}' -f - <<<"$PROBE_VMI" | grep -qx default
}

deploy_virtnet() {
  local images=$LAB_DIR/images
  mkdir -p "$images"
  local peer_tar=$CACHE_DIR/images/peer.tar
  [ -s "$peer_tar" ] || build_peer_image "$peer_tar"
  import_image "$peer_tar"
  log "building the virtnet image"
  # Compiled into the lab's own directory: rewriting the work tree's dist/ would pull it from under
  # whatever runs from it meanwhile (the test suite runs the CLI from dist/ while the lab comes up).
  [ -x "$REPO/node_modules/.bin/tsc" ] || die "no node modules in $REPO: run scripts/setup.sh first"
  # Compiled aside and swapped in: the installed CNI plugin runs from $LAB_DIR/build while pods come and go.
  rm -rf "$LAB_DIR/build.new"
  (cd "$REPO" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$LAB_DIR/build.new/dist")
  cp "$REPO"/src/cri/*.proto "$LAB_DIR/build.new/dist/cri/"
  mkdir -p "$LAB_DIR/build"
  rm -rf "$LAB_DIR/build/dist.old"
  [ ! -d "$LAB_DIR/build/dist" ] || mv "$LAB_DIR/build/dist" "$LAB_DIR/build/dist.old"
  mv "$LAB_DIR/build.new/dist" "$LAB_DIR/build/dist"
  rm -rf "$LAB_DIR/build/dist.old" "$LAB_DIR/build.new"
  (cd "$REPO" && bash scripts/build-native.sh)
  build_virtnet_image "$images/virtnet.tar" "$REPO" "$LAB_DIR/build/dist"
  import_image "$images/virtnet.tar"
  log "building the node agent image"
  build_agent_image "$images/agent.tar" "$REPO" "$LAB_DIR/build/dist"
  import_image "$images/agent.tar"
  log "building the launcher image"
  build_launcher_image "$images/launcher.tar" "$REPO" "$LAB_DIR/build/dist"
  import_image "$images/launcher.tar"
  local digest previous agent_digest agent_previous
  digest=$(sha256sum "$images/virtnet.tar" | cut -d' ' -f1)
  previous=$(cat "$LAB_DIR/virtnet-image.sha256" 2>/dev/null || true)
  agent_digest=$(sha256sum "$images/agent.tar" | cut -d' ' -f1)
  agent_previous=$(cat "$LAB_DIR/agent-image.sha256" 2>/dev/null || true)
  # The agent's CNI dirs are the lab's own (containerd's private conf_dir), never the system's.
  mkdir -p "$LAB_DIR/cni/bin"

  local overlay=$LAB_DIR/overlay
  mkdir -p "$overlay"
  # patchesJson6902 rather than `patches`: Debian's kubectl 1.20 (kustomize 2.0) reads only this form.
  cat >"$overlay/kustomization.yaml" <<KUST
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$overlay" "$REPO/deploy")
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: virtnet-webhook}
    path: pull-never.yaml
  - target: {group: apps, version: v1, kind: Deployment, name: virtnet-controller}
    path: pull-never.yaml
  - target: {group: apps, version: v1, kind: DaemonSet, name: virtnet-agent}
    path: agent.yaml
KUST
  cat >"$overlay/pull-never.yaml" <<PATCH
- op: replace
  path: /spec/template/spec/containers/0/imagePullPolicy
  value: Never
PATCH
  # The agent reaches the lab's containerd (not the system path) and installs virtnet-cni into the
  # lab's CNI dirs (containerd's private bin_dir and conf_dir), never the system's. Volumes 1-4 of the
  # DaemonSet are cri, cni-bin, cni-conf, cni-home, mounted in that order after state; its args are
  # kube agent --cri-address S --cni-bin-dir B --cni-conf-dir C --cni-plugin-home H ...
  # (src/kube/manifests.ts).
  local op i path
  {
    echo "- {op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: Never}"
    echo "- {op: replace, path: /spec/template/spec/volumes/1/hostPath/path, value: $(dirname "$CONTAINERD_SOCK")}"
    echo "- {op: replace, path: /spec/template/spec/containers/0/args/3, value: /run/virtnet-cri/$(basename "$CONTAINERD_SOCK")}"
    i=2
    for path in "$LAB_CNI_BIN_DIR" "$LAB_CNI_CONF_DIR" "$LAB_CNI_PLUGIN_HOME"; do
      echo "- {op: replace, path: /spec/template/spec/volumes/$i/hostPath/path, value: $path}"
      echo "- {op: replace, path: /spec/template/spec/containers/0/volumeMounts/$i/mountPath, value: $path}"
      echo "- {op: replace, path: /spec/template/spec/containers/0/args/$((2 * i + 1)), value: $path}"
      i=$((i + 1))
    done
    for op in --cni-network-name "$LAB_CNI_NETWORK_NAME" --cni-cluster-network "$LAB_CLUSTER_NETWORK"; do
      echo "- {op: add, path: /spec/template/spec/containers/0/args/-, value: $op}"
    done
  } >"$overlay/agent.yaml"
  log "deploying virtnet from deploy/"
  kctl apply -k "$overlay" 2> >(grep -v "patchesJson6902' is deprecated" >&2) >/dev/null
  if [ -n "$previous" ] && [ "$previous" != "$digest" ]; then
    # Same tag, new content: the Deployments would keep the old containers.
    kctl -n virtnet-system rollout restart deployment >/dev/null
  fi
  echo "$digest" >"$LAB_DIR/virtnet-image.sha256"
  if [ -n "$agent_previous" ] && [ "$agent_previous" != "$agent_digest" ]; then
    kctl -n virtnet-system rollout restart daemonset/virtnet-agent >/dev/null
  fi
  echo "$agent_digest" >"$LAB_DIR/agent-image.sha256"
  kctl -n virtnet-system rollout status deployment/virtnet-webhook --timeout=180s >/dev/null
  kctl -n virtnet-system rollout status deployment/virtnet-controller --timeout=180s >/dev/null
  kctl -n virtnet-system rollout status daemonset/virtnet-agent --timeout=180s >/dev/null
  wait_for "virtnet webhooks" 120 webhook_answers
}
