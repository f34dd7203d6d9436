/* SPDX-License-Identifier: MIT */
/*
 * Host tool: write one of the probe's pseudo-random data files.
 * Usage: gen a|b OUTFILE   (segment a: PROBE_SEED_A, PROBE_DATA_A_SIZE; b likewise)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prng.h"

int main(int argc, char **argv)
{
	uint64_t seed, size, s, v, i;
	unsigned char b[8];
	FILE *f;
	int k;

	if (argc != 3 || (strcmp(argv[1], "a") && strcmp(argv[1], "b"))) {
		fprintf(stderr, "usage: %s a|b OUTFILE\n", argv[0]);
		return 2;
	}
	seed = argv[1][0] == 'a' ? PROBE_SEED_A : PROBE_SEED_B;
	size = argv[1][0] == 'a' ? PROBE_DATA_A_SIZE : PROBE_DATA_B_SIZE;
	f = fopen(argv[2], "wb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	s = seed;
	for (i = 0; i < size; i += 8) {
		v = prng_next(&s);
		for (k = 0; k < 8; k++)
			b[k] = (unsigned char)(v >> (8 * k));
		if (fwrite(b, 1, 8, f) != 8) {
			perror(argv[2]);
			return 1;
		}
	}
	if (fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
