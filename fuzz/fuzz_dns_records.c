/*
 * fuzz_dns_records.c - libFuzzer target: any bytes as the DNS records a
 * probed domain publishes and mxray parses itself: a DMARC record, a
 * TLS-RPT record, CAA rdata and TLSA rdata (the first byte picks which).
 * A TLSA record that parses must fit what DANE verification keeps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dmarc.h"
#include "probe/caa.h"
#include "probe/dane.h"
#include "probe/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int which = data[0] % 4;
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
	} else if (which == 2) {
		json_decref(caa_parse_rdata(data, size));
	} else {
		dane_tlsa_t kept;
		int usable = 0;
		char problem[300];
		json_t *rec = dane_tlsa_parse(data, size, 1, &kept, &usable, problem, sizeof(problem));
		if ((rec == NULL) == (problem[0] == '\0'))
			abort();	/* a record or a problem, never both or neither */
		if (usable && (kept.len == 0 || kept.len > DANE_TLSA_DATA_MAX || kept.usage < 2))
			abort();
		json_decref(rec);
	}
	return 0;
}
