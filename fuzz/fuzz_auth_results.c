/*
 * fuzz_auth_results.c - libFuzzer target: any bytes as the header fields
 * mxray reads beyond the path: an Authentication-Results value, an ARC
 * field (the first byte picks ARC-Seal, ARC-Message-Signature or
 * ARC-Authentication-Results) and an address list. Nothing may crash,
 * results stay bounded, and a field that says it parsed has its parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const arc[] = { "ARC-Seal", "ARC-Message-Signature",
					   "ARC-Authentication-Results" };
	if (size == 0)
		return 0;
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	json_t *ar = auth_results_parse(text);
	if (json_array_size(json_object_get(ar, "results")) > HEADERS_MAX_RESULTS)
		abort();
	json_decref(ar);
	json_t *a = arc_parse(arc[data[0] % 3], text);
	if (json_is_true(json_object_get(a, "parsed")) && !json_is_integer(json_object_get(a, "instance")))
		abort();
	json_decref(a);
	if (header_mailbox_count(text) < 0)
		abort();
	free(text);
	return 0;
}
