#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A worker that is a thread of the process and that its io cgroup's
# controller asks to wait (io.latency, io.cost) goes back to userspace,
# where the wait happens, instead of serving on past it. With the
# test-only module the request the worker runs makes the ask
# (acall-worker_throttle says how). Prints TAP; leaves acall.ko loaded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

with_inject_module 2 worker_throttle worker_idle_ms=2000
