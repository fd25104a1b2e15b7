/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of acall: the life of a request (submitted, held by a barrier
 * or a link, issued on a path, completed) and of a worker. trace.c defines
 * them; Documentation/acall.rst describes them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM acall

#ifndef ACALL_TRACE_ENUMS
#define ACALL_TRACE_ENUMS
/* How a request is started (acall_issue). */
enum acall_path {
	ACALL_PATH_INLINE,	/* done in the submitter */
	ACALL_PATH_KIOCB,	/* in flight as an async kiocb */
	ACALL_PATH_WORKER,	/* done by a worker */
	ACALL_PATH_PAGE_WAIT,	/* waiting for a page, with no thread */
};

/* What holds a request back (acall_held). */
enum acall_hold {
	ACALL_HELD_BARRIER,	/* an ORDERED barrier of its queue */
	ACALL_HELD_LINK,	/* its predecessor in a LINK chain */
};
#endif

#if !defined(ACALL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define ACALL_TRACE_H

#include <linux/ktime.h>
#include <linux/tracepoint.h>
#include <linux/acall.h>

TRACE_DEFINE_ENUM(ACALL_PATH_INLINE);
TRACE_DEFINE_ENUM(ACALL_PATH_KIOCB);
TRACE_DEFINE_ENUM(ACALL_PATH_WORKER);
TRACE_DEFINE_ENUM(ACALL_PATH_PAGE_WAIT);
TRACE_DEFINE_ENUM(ACALL_HELD_BARRIER);
TRACE_DEFINE_ENUM(ACALL_HELD_LINK);
TRACE_DEFINE_ENUM(ACALL_OP_NOP);
TRACE_DEFINE_ENUM(ACALL_OP_PREADV);
TRACE_DEFINE_ENUM(ACALL_OP_PWRITEV);
TRACE_DEFINE_ENUM(ACALL_OP_FSYNC);
TRACE_DEFINE_ENUM(ACALL_OP_FDATASYNC);
TRACE_DEFINE_ENUM(ACALL_OP_FALLOCATE);
TRACE_DEFINE_ENUM(ACALL_OP_READ);
TRACE_DEFINE_ENUM(ACALL_OP_WRITE);

#define acall_show_op(op)						\
	__print_symbolic(op,						\
			 { ACALL_OP_NOP,	"NOP" },		\
			 { ACALL_OP_PREADV,	"PREADV" },		\
			 { ACALL_OP_PWRITEV,	"PWRITEV" },		\
			 { ACALL_OP_FSYNC,	"FSYNC" },		\
			 { ACALL_OP_FDATASYNC,	"FDATASYNC" },		\
			 { ACALL_OP_FALLOCATE,	"FALLOCATE" },		\
			 { ACALL_OP_READ,	"READ" },		\
			 { ACALL_OP_WRITE,	"WRITE" })

#define acall_show_path(path)						\
	__print_symbolic(path,						\
			 { ACALL_PATH_INLINE,	"inline" },		\
			 { ACALL_PATH_KIOCB,	"kiocb" },		\
			 { ACALL_PATH_WORKER,	"worker" },		\
			 { ACALL_PATH_PAGE_WAIT, "page_wait" })

#define acall_show_hold(why)						\
	__print_symbolic(why,						\
			 { ACALL_HELD_BARRIER,	"barrier" },		\
			 { ACALL_HELD_LINK,	"link" })

/* A request taken by ACALL_IOC_SUBMIT, before any check. */
TRACE_EVENT(acall_submit,
	    TP_PROTO(const void *ctx, const struct acall_sqe *sqe),
	    TP_ARGS(ctx, sqe),
	    TP_STRUCT__entry(__field(const void *, ctx)
			     __field(u64, user_data)
			     __field(u8, opcode)
			     __field(u8, flags)
			     __field(int, fd)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->user_data = sqe->user_data;
			   __entry->opcode = sqe->opcode;
			   __entry->flags = sqe->flags;
			   __entry->fd = sqe->fd;),
	    TP_printk("ctx=%p user_data=0x%llx opcode=%s fd=%d flags=0x%x",
		      __entry->ctx, __entry->user_data,
		      acall_show_op(__entry->opcode), __entry->fd,
		      __entry->flags)
);

/* A request held back until a barrier or its predecessor lets it start. */
TRACE_EVENT(acall_held,
	    TP_PROTO(const void *ctx, u64 user_data, enum acall_hold why),
	    TP_ARGS(ctx, user_data, why),
	    TP_STRUCT__entry(__field(const void *, ctx)
			     __field(u64, user_data)
			     __field(int, why)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->user_data = user_data;
			   __entry->why = why;),
	    TP_printk("ctx=%p user_data=0x%llx by=%s", __entry->ctx,
		      __entry->user_data, acall_show_hold(__entry->why))
);

/*
 * A held request's last hold ended (its queue's barriers, its LINK
 * predecessor, its own submission): it starts, or completes unstarted.
 */
TRACE_EVENT(acall_release,
	    TP_PROTO(const void *ctx, u64 user_data),
	    TP_ARGS(ctx, user_data),
	    TP_STRUCT__entry(__field(const void *, ctx)
			     __field(u64, user_data)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->user_data = user_data;),
	    TP_printk("ctx=%p user_data=0x%llx", __entry->ctx,
		      __entry->user_data)
);

/* A request started on path: it runs there, or its result came from it. */
TRACE_EVENT(acall_issue,
	    TP_PROTO(const void *ctx, u64 user_data, enum acall_path path),
	    TP_ARGS(ctx, user_data, path),
	    TP_STRUCT__entry(__field(const void *, ctx)
			     __field(u64, user_data)
			     __field(int, path)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->user_data = user_data;
			   __entry->path = path;),
	    TP_printk("ctx=%p user_data=0x%llx path=%s", __entry->ctx,
		      __entry->user_data, acall_show_path(__entry->path))
);

/*
 * A request's completion, just before it is posted. submit_ns: when it was
 * submitted, 0 if this event was off then (latency_ns is 0 too).
 */
TRACE_EVENT(acall_complete,
	    TP_PROTO(const void *ctx, u64 user_data, int res, u64 submit_ns),
	    TP_ARGS(ctx, user_data, res, submit_ns),
	    TP_STRUCT__entry(__field(const void *, ctx)
			     __field(u64, user_data)
			     __field(u64, latency_ns)
			     __field(int, res)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->user_data = user_data;
			   __entry->latency_ns = submit_ns ?
				ktime_get_ns() - submit_ns : 0;
			   __entry->res = res;),
	    TP_printk("ctx=%p user_data=0x%llx res=%d latency_ns=%llu",
		      __entry->ctx, __entry->user_data, __entry->res,
		      __entry->latency_ns)
);

/* A worker thread of a context whose owner is tgid starts serving... */
TRACE_EVENT(acall_worker_start,
	    TP_PROTO(pid_t pid, pid_t tgid),
	    TP_ARGS(pid, tgid),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(pid_t, tgid)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->tgid = tgid;),
	    TP_printk("pid=%d tgid=%d", __entry->pid, __entry->tgid)
);

/*
 * ...and stops: res 0 when it idled out or its context closed, -EINTR when
 * a thread of the process goes back to userspace for a while (a signal,
 * task work) and may start again.
 */
TRACE_EVENT(acall_worker_exit,
	    TP_PROTO(pid_t pid, pid_t tgid, int res),
	    TP_ARGS(pid, tgid, res),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(pid_t, tgid)
			     __field(int, res)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->tgid = tgid;
			   __entry->res = res;),
	    TP_printk("pid=%d tgid=%d res=%d", __entry->pid, __entry->tgid,
		      __entry->res)
);

#endif /* ACALL_TRACE_H */

/* Out of the kernel tree: this file, found through -I$(src)/kmod. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE acall_trace
#include <trace/define_trace.h>
