/*
 * fuzz.h - what the libFuzzer targets share: the entry point's prototype
 * and a NUL-terminated copy of the input (the parsers take C strings).
 */
#ifndef DEPLOYCTL_FUZZ_H
#define DEPLOYCTL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a string; new (free()), NULL when out of memory. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
