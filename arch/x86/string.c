/* SPDX-License-Identifier: MIT */
/*
 * The loader's memmove, memcpy and memset: its copy engine. Every byte the loader
 * places goes through here (loader/place.c: whole pages, 4 KiB aligned), so these
 * replace newlib's (a byte loop for memmove, non-temporal stores for the others).
 *
 * Fast strings: rep movsq / rep stosq for the words, rep movsb / rep stosb for a
 * tail of under 8 bytes, always with DF = 0. Why not a word loop in C (see
 * docs/copy-engine.md for the figures):
 *  - under QEMU's TCG a rep movsq runs as fast as an unrolled 64-bit loop (both
 *    about 30 ms for the demo's 31 MiB), and rep movsb is about 5x slower, so
 *    the bytes go as quadwords;
 *  - on hardware, rep movsq/movsb with DF = 0 is the fast-strings path (ERMSB,
 *    FSRM): whole cache lines per step, as Linux's copy_page does where
 *    X86_FEATURE_REP_GOOD is set; a general-register loop (the loader has no SSE)
 *    is store-bound at 8 bytes per cycle, and with DF = 1 no CPU uses fast strings.
 * So an overlapping memmove upwards never runs backwards by the quadword: it
 * copies the tail first in chunks of the distance between the two (a chunk that
 * long cannot overlap itself), each chunk forwards. Page runs are at least a page
 * apart, so their chunks are at least 4 KiB. Only a distance under 64 bytes (never
 * from the loader's own callers) goes backwards a byte at a time.
 */
#include <stddef.h>
#include <stdint.h>

#define STRING_CHUNK_MIN	64	/* below: one backwards rep movsb */

void *memmove(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

static void copy_forwards(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t words = n / 8, tail = n % 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(tail) : : "memory");
}

void *memcpy(void *dst, const void *src, size_t n)
{
	copy_forwards(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t gap = (size_t)(d - s);

	if (d <= s || gap >= n) {	/* nothing read is written before it is read */
		copy_forwards(d, s, n);
		return dst;
	}
	if (gap >= STRING_CHUNK_MIN) {
		while (n) {
			size_t k = n < gap ? n : gap;

			n -= k;
			copy_forwards(d + n, s + n, k);	/* writes only bytes already read */
		}
		return dst;
	}
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory", "cc");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
	size_t words = n / 8, tail = n % 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(v) : "memory");
	return dst;
}
