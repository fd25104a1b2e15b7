#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ACALL_IOC_CANCEL lets go of a long list's lock in its walk, and a
# SHUTDOWN or a worker that takes every request in that pause must leave
# the walk nothing freed to go on from.
# With the test-only module the walk waits in its pause for the test
# (acall-cancel_walk says how). Prints TAP; leaves acall.ko loaded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

with_inject_module 6 cancel_walk
