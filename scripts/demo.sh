#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's demonstration: on a fresh Debian 12 machine, as root, install
# what is needed, build, boot the 6.12 kernel in a VM, load acall.ko, show
# its probe, run the example block backend (examples/blk-backend, data
# checked) and the quick benchmark profile, and print every engine side by
# side. Results stay in build/bench-results/quick/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v make > /dev/null; then
	apt-get update -q && apt-get install -y -q --no-install-recommends make
fi
scripts/setup.sh
scripts/bench.sh quick
