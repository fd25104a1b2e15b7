#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's test command: on a fresh Debian 12 machine, as root, install
# what is needed and run every test ("make check").
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v make > /dev/null; then
	apt-get update -q && apt-get install -y -q --no-install-recommends make
fi
exec make check
