#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs virtnet's embedded single-machine default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/cli/main.js validate examples/*.yaml
