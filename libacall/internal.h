/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libacall's own files. */
#ifndef LIBACALL_INTERNAL_H
#define LIBACALL_INTERNAL_H

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/types.h>

/* The library is built with hidden visibility; this marks its API. */
#define ACALL_API __attribute__((visibility("default")))

/* An ioctl whose result is a count or 0, as that or a negative errno. */
static inline int acall_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * The device an fd is open on, or 0 (not a device, or fstat() failed);
 * whether fd is still open on rdev, a device so taken (0: unknown, yes
 * while it is open). device.c.
 */
dev_t acall_fd_device(int fd);
bool acall_fd_is_device(int fd, dev_t rdev);

/* The submission queue of a ring (queue.c). */
struct acall_sq *acall_sq_alloc(unsigned int batch);
void acall_sq_free(struct acall_sq *sq);
bool acall_sq_is_owner(const struct acall_sq *sq);

/* The threads of ACALL_SETUP_PROCESS_WORKERS (workers.c). */
struct acall_workers;
struct acall_workers *acall_workers_start(int fd, int *err);
void acall_workers_stop(struct acall_workers *w, int ring_fd);
void acall_workers_forget(struct acall_workers *w);
struct acall_workers **acall_sq_workers(struct acall_sq *sq);
/* The device number of the ring's file, as set up (ring.c). */
dev_t *acall_sq_rdev(struct acall_sq *sq);

#endif /* LIBACALL_INTERNAL_H */
