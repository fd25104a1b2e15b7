/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libacall's own files. */
#ifndef LIBACALL_INTERNAL_H
#define LIBACALL_INTERNAL_H

/* The library is built with hidden visibility; this marks its API. */
#define ACALL_API __attribute__((visibility("default")))

#endif /* LIBACALL_INTERNAL_H */
