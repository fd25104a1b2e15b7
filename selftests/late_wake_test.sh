#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A worker's wake-up that comes late must not reach the worker where it
# sleeps next. With the test-only module, the module chooses an idle thread
# of the process for a request, signals it and only then, a second later,
# wakes it: the thread leaves SERVE meanwhile and must not see that wake-up
# in userspace (acall-late_wake says how). Prints TAP; leaves acall.ko
# loaded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

# The thread must still be idle in the pool when the request comes,
# however slow the machine.
with_inject_module 3 late_wake worker_idle_ms=600000
