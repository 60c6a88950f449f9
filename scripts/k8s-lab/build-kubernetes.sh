#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubelet from Debian's `kubernetes`
# source package (complete vendor/, so offline) with Debian's Go, into $KUBE_BIN. Does nothing when the
# binaries are already cached. The system's apt configuration is never changed: the source package is
# fetched through a private deb-src list derived from the machine's own Debian sources.
set -euo pipefail
source "$(dirname "$0")/common.sh"

all_built() {
  local c
  for c in "${KUBE_COMPONENTS[@]}"; do [ -x "$KUBE_BIN/$c" ] || return 1; done
}
if all_built; then exit 0; fi

ensure_packages \
  golang-go=/usr/bin/go \
  golang-github-modern-go-reflect2-dev=/usr/share/gocode/src/github.com/modern-go/reflect2/reflect2.go \
  dpkg-dev=/usr/bin/dpkg-source \
  xz-utils=/usr/bin/xz

SRC_ROOT=$KUBE_CACHE/source
APT_DIR=$KUBE_CACHE/apt
mkdir -p "$SRC_ROOT" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"

# --- 1. the source package, through a private deb-src list -------------------------------------------
fetch_source() {
  local list=$APT_DIR/sources.list
  # The machine's deb822 and one-line sources, with "deb" turned into "deb-src".
  : >"$list"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk 'BEGIN{RS=""; ORS="\n\n"} /(^|\n)Types:[^\n]*deb/ && /Suites:[^\n]*bookworm/ {
           sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$APT_DIR/debian.sources.tmp"
  done
  if [ -s "$APT_DIR/debian.sources.tmp" ]; then
    mkdir -p "$APT_DIR/sources.list.d"
    mv "$APT_DIR/debian.sources.tmp" "$APT_DIR/sources.list.d/debian.sources"
  fi
  if [ -e /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*bookworm.*\)$/deb-src \1/p' /etc/apt/sources.list >>"$list"
  fi
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$list"
    -o "Dir::Etc::sourceparts=$APT_DIR/sources.list.d"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
  )
  mkdir -p "$APT_DIR/sources.list.d"
  log "fetching the kubernetes source package (private deb-src list)"
  apt-get "${apt_opts[@]}" update -q >/dev/null
  (cd "$SRC_ROOT" && apt-get "${apt_opts[@]}" source --download-only -q kubernetes >/dev/null)
}

if ! ls "$SRC_ROOT"/kubernetes_*.dsc >/dev/null 2>&1; then fetch_source; fi
DSC=$(ls "$SRC_ROOT"/kubernetes_*.dsc | head -n 1)
TREE=$SRC_ROOT/tree
if [ ! -e "$TREE/.unpacked" ]; then
  log "unpacking $(basename "$DSC") and applying its patches"
  rm -rf "$TREE"
  # dpkg-source unpacks the orig tarball(s) and the debian tarball and applies debian/patches/series.
  (cd "$SRC_ROOT" && dpkg-source --no-check -x "$(basename "$DSC")" "$TREE" >/dev/null)
  # The vendored reflect2 1.0.1 crashes under Go >= 1.18 (SIGSEGV iterating maps, the apiserver dies on
  # the first custom resource); Debian's 1.0.2 is API-compatible.
  rm -rf "$TREE/vendor/github.com/modern-go/reflect2"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$TREE/vendor/github.com/modern-go/reflect2"
  touch "$TREE/.unpacked"
fi

# --- 2. GOPATH mode, as the 1.20 Makefile builds --------------------------------------------------------
export GOPATH=$KUBE_CACHE/gopath
export GOCACHE=$KUBE_CACHE/gocache
export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
mkdir -p "$GOPATH/src/k8s.io" "$GOCACHE"
ln -sfn "$TREE" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

# --- 3. the OpenAPI definitions make would generate ------------------------------------------------------
OPENAPI_OUT=pkg/generated/openapi/zz_generated.openapi.go
if [ ! -s "$OPENAPI_OUT" ]; then
  log "generating $OPENAPI_OUT"
  nice -n 10 go build -o "$KUBE_CACHE/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  # Every package whose doc comments carry the openapi-gen tag, as import paths (staging packages are
  # reached through vendor/k8s.io, which links to staging/src/k8s.io).
  pkgs=$(grep -rl --include='*.go' -e '+k8s:openapi-gen=' pkg staging/src/k8s.io vendor/k8s.io/kube-openapi 2>/dev/null \
    | xargs -n1 dirname | sort -u \
    | sed -e 's#^staging/src/#k8s.io/kubernetes/vendor/#' -e 's#^vendor/#k8s.io/kubernetes/vendor/#' \
          -e 's#^pkg/#k8s.io/kubernetes/pkg/#' \
    | grep -v -e '/testdata' -e '/testing' -e 'k8s.io/kubernetes/pkg/generated/openapi$' \
    | paste -sd, -)
  nice -n 10 "$KUBE_CACHE/openapi-gen" --logtostderr=false \
    -i "$pkgs" \
    -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h hack/boilerplate/boilerplate.generatego.txt \
    -r "$KUBE_CACHE/openapi-violations.report" >/dev/null
  [ -s "$OPENAPI_OUT" ] || die "openapi-gen produced no $OPENAPI_OUT"
fi

# --- 4. the four binaries ---------------------------------------------------------------------------------
VERSION_PKG=k8s.io/kubernetes/vendor/k8s.io/component-base/version
LDFLAGS="-s -w -X $VERSION_PKG.gitVersion=$KUBE_VERSION -X $VERSION_PKG.gitMajor=1 -X $VERSION_PKG.gitMinor=20 -X $VERSION_PKG.gitTreeState=clean"
mkdir -p "$KUBE_BIN"
for c in "${KUBE_COMPONENTS[@]}"; do
  [ -x "$KUBE_BIN/$c" ] && continue
  log "building $c (GOPATH mode, cached in $GOCACHE)"
  start=$(date +%s)
  nice -n 10 go build -ldflags "$LDFLAGS" -o "$KUBE_BIN/$c.tmp" "./cmd/$c"
  mv "$KUBE_BIN/$c.tmp" "$KUBE_BIN/$c"
  log "built $c in $(($(date +%s) - start)) s"
done
