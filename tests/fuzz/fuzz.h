/*
 * fuzz.h - shared helpers of the libFuzzer targets (tests/fuzz/fuzz_NAME.c)
 *
 *	FUZZ_CHECK	a property that must hold: print and abort otherwise
 *
 * A failed property aborts, which libFuzzer reports as a crash and saves
 * the input; so a property bug is found like a memory error.
 */
#ifndef VD_FUZZ_H
#define VD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#endif
