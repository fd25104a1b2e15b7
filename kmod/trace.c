// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of acall_trace.h, defined once. */
#define CREATE_TRACE_POINTS
#include "acall_trace.h"
