#!/usr/bin/env bash
# The test command: installs what the tests need, then lint, type-check and the whole suite.
# Run as root on Debian 12; `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
npm run --silent typecheck
node scripts/run-tests.mjs "$@"
