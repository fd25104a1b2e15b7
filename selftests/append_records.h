/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records for the append tests: each names its writer and sequence number
 * and fills the rest with a byte of its own, so that a record split by
 * another, torn, or out of place is seen when the file is walked.
 */
#ifndef ACALL_APPEND_RECORDS_H
#define ACALL_APPEND_RECORDS_H

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#define RECORDS		40
#define THREADS		4
#define MAGIC		0xacca11a9u

/* A record: a header, then its own byte everywhere else. */
struct record_head {
	__u32 magic;
	__u32 writer;
	__u32 seq;
	__u32 len;
};

static inline void *record(unsigned int writer, unsigned int seq, size_t len)
{
	struct record_head *h;
	void *buf;

	if (posix_memalign(&buf, 4096, len))
		return NULL;
	memset(buf, (int)(writer * 31 + seq) & 0xff, len);
	h = buf;
	*h = (struct record_head){ MAGIC, writer, seq, (__u32)len };
	return buf;
}

/* 4 to 64 KiB, whole blocks, so that O_DIRECT takes them. */
static inline size_t record_len(unsigned int seq)
{
	return 4096 * (1 + (seq * 7) % 16);
}

/*
 * Walk the file's records; each must be whole. seen[writer][seq] counts
 * them; order[] gets the writers' sequence numbers in file order.
 */
static inline int walk(int fd, unsigned char seen[THREADS][RECORDS],
		unsigned int *order, unsigned int max)
{
	struct stat st;
	off_t off = 0;
	unsigned int n = 0;
	char *buf;
	int ret = 0;

	if (fstat(fd, &st) || !(buf = malloc(st.st_size ? st.st_size : 1)))
		return -1;
	if (pread(fd, buf, st.st_size, 0) != st.st_size) {
		free(buf);
		return -1;
	}
	while (off < st.st_size) {
		struct record_head *h = (struct record_head *)(buf + off);
		unsigned char want = (h->writer * 31 + h->seq) & 0xff;
		size_t i;

		if (off + (off_t)sizeof(*h) > st.st_size || h->magic != MAGIC ||
		    h->writer >= THREADS || h->seq >= RECORDS ||
		    h->len != record_len(h->seq) || off + h->len > st.st_size) {
			ret = -2;	/* a record split or torn */
			break;
		}
		for (i = sizeof(*h); i < h->len; i++)
			if ((unsigned char)buf[off + i] != want)
				break;
		if (i != h->len) {
			ret = -2;
			break;
		}
		seen[h->writer][h->seq]++;
		if (order && n < max)
			order[n] = h->seq;
		n++;
		off += h->len;
	}
	free(buf);
	return ret ? ret : (int)n;
}

#endif /* ACALL_APPEND_RECORDS_H */
