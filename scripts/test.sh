#!/usr/bin/env bash
# The test command: installs what the tests need, then lint, formatting, type-check and the whole suite.
# Run as root on Debian 12; `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
npm run --silent format:check
npm run --silent typecheck
if [ "$#" -gt 0 ]; then
  node scripts/run-tests.mjs "$@"
  exit
fi
# The Kubernetes lab's tests start a whole cluster (and compile virtnet's image): they run alone, after
# the rest, so that load does not land on the QEMU and DHCP tests' timing. VIRTNET_SKIP_K8S_LAB=1
# skips them. The lab's files all start at once: the one that brings the lab up and takes it down
# waits for the others, which must have started to be waited for.
VIRTNET_SKIP_K8S_LAB=1 node scripts/run-tests.mjs
if [ "${VIRTNET_SKIP_K8S_LAB:-0}" != 1 ]; then VIRTNET_TEST_CONCURRENCY=16 node scripts/run-tests.mjs test/kube/; fi
