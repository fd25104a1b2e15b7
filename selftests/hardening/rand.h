/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small seeded generator for the hardening tools (fuzz, stress, kill
 * storm): every random choice comes from it, so a run replays from the seed
 * it prints. splitmix64 seeds xorshift64*; one state per thread or process,
 * derived from the run's seed and that worker's index.
 */
#ifndef ACALL_HARDENING_RAND_H
#define ACALL_HARDENING_RAND_H

#include <stdint.h>

struct rnd {
	uint64_t s;
};

static inline uint64_t rnd_splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The generator of worker (a, b) of the run with this seed. */
static inline void rnd_init(struct rnd *r, uint64_t seed, uint64_t a, uint64_t b)
{
	r->s = rnd_splitmix(seed ^ rnd_splitmix(a * 1000003 + b)) | 1;
}

static inline uint64_t rnd_next(struct rnd *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rnd_below(struct rnd *r, uint64_t n)
{
	return rnd_next(r) % n;
}

/* True with probability 1/n. */
static inline int rnd_one_in(struct rnd *r, uint64_t n)
{
	return rnd_below(r, n) == 0;
}

#define RND_PICK(r, arr) ((arr)[rnd_below((r), sizeof(arr) / sizeof((arr)[0]))])

#endif /* ACALL_HARDENING_RAND_H */
