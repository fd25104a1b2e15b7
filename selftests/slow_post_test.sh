#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A completion consumed while its post is half done (the ring's tail
# stored, the module's own not yet) must leave the ring as it is: WAIT
# finds nothing ready and SUBMIT finds room. With the test-only module the
# post stalls between its two stores while the caller consumes it
# (acall-slow_post says how). Prints TAP; leaves acall.ko loaded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

with_inject_module 3 slow_post
