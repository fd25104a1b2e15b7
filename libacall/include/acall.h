/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libacall: userspace side of /dev/acall.
 *
 * Every function that can fail returns a negative errno value; none of them
 * returns -1 and leaves the reason in errno.
 */
#ifndef LIBACALL_ACALL_H
#define LIBACALL_ACALL_H

#include <linux/acall.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACALL_DEVICE_PATH "/dev/acall"

/*
 * Open /dev/acall close-on-exec. Returns the file descriptor, or -ENOENT
 * when the module is not loaded, or another negative errno.
 */
int acall_open_device(void);

/*
 * Fill *probe with what the running module supports. fd is an open
 * /dev/acall, or -1 to open (and close) the device just for the probe.
 * Returns 0 or a negative errno.
 */
int acall_probe(int fd, struct acall_probe *probe);

#ifdef __cplusplus
}
#endif

#endif /* LIBACALL_ACALL_H */
