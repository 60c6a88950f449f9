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
  rm -rf "$LAB_DIR/build"
  (cd "$REPO" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$LAB_DIR/build/dist")
  (cd "$REPO" && bash scripts/build-native.sh)
  build_virtnet_image "$images/virtnet.tar" "$REPO" "$LAB_DIR/build/dist"
  import_image "$images/virtnet.tar"
  local digest previous
  digest=$(sha256sum "$images/virtnet.tar" | cut -d' ' -f1)
  previous=$(cat "$LAB_DIR/virtnet-image.sha256" 2>/dev/null || true)

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
KUST
  cat >"$overlay/pull-never.yaml" <<PATCH
- op: replace
  path: /spec/template/spec/containers/0/imagePullPolicy
  value: Never
PATCH
  log "deploying virtnet from deploy/"
  kctl apply -k "$overlay" 2> >(grep -v "patchesJson6902' is deprecated" >&2) >/dev/null
  if [ -n "$previous" ] && [ "$previous" != "$digest" ]; then
    # Same tag, new content: the Deployments would keep the old containers.
    kctl -n virtnet-system rollout restart deployment >/dev/null
  fi
  echo "$digest" >"$LAB_DIR/virtnet-image.sha256"
  kctl -n virtnet-system rollout status deployment/virtnet-webhook --timeout=180s >/dev/null
  kctl -n virtnet-system rollout status deployment/virtnet-controller --timeout=180s >/dev/null
  wait_for "virtnet webhooks" 120 webhook_answers
}
