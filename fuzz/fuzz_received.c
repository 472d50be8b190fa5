/*
 * fuzz_received.c - libFuzzer target: any text as the Received fields of
 * a test mail (split at NUL bytes into up to 8 fields, newest first), the
 * path built from them, and any text as a date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/received.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *fields[8];
	size_t n = 0;
	for (char *p = text; n < 8 && p <= text + size; p += strlen(p) + 1)
		fields[n++] = p;
	json_t *path = received_path(fields, n);
	json_decref(path);
	(void)received_date(text);
	free(text);
	return 0;
}
