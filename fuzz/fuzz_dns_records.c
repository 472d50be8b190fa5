/*
 * fuzz_dns_records.c - libFuzzer target: any bytes as the DNS records a
 * probed domain publishes and mxray parses itself: a DMARC record, a
 * TLS-RPT record and CAA rdata (the first byte picks which).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dmarc.h"
#include "probe/caa.h"
#include "probe/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int which = data[0] % 3;
	data++;
	size--;
	if (which == 0) {
		char *text = malloc(size + 1);
		if (text == NULL)
			return 0;
		memcpy(text, data, size);
		text[size] = '\0';
		json_t *o = json_object();
		(void)dmarc_parse(text, o);
		json_decref(o);
		free(text);
	} else if (which == 1) {
		json_decref(tlsrpt_parse((const char *)data, size));
	} else {
		json_decref(caa_parse_rdata(data, size));
	}
	return 0;
}
