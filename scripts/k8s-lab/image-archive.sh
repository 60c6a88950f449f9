# Writes a single-layer docker-archive (what `docker save` makes and `ctr images import` reads) from a
# root directory, so the lab needs no registry and no image builder. Sourced; defines image_archive.
#
# image_archive ROOTFS_DIR TAG OUT.tar CONFIG_JSON
#   CONFIG_JSON: the image's runtime config object, e.g. {"Entrypoint":["/pause"]}.
image_archive() {
  local rootfs=$1 tag=$2 out=$3 runtime_config=$4
  local work
  work=$(mktemp -d)
  # Reproducible layer: fixed owner and mtime, sorted entries, so an unchanged rootfs gives the same digest.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
  local diff_id
  diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$runtime_config" "$diff_id" >"$work/config.json"
  local config_digest
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config_digest.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$config_digest" "$tag" >"$work/manifest.json"
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out.tmp" manifest.json "$config_digest.json" layer.tar
  mv "$out.tmp" "$out"
  rm -rf "$work"
}
