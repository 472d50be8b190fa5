/*
 * txt.c - TXT record decoding and lookup (see txt.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "probe/txt.h"

#define RR_TXT 16

char *txt_decode(const unsigned char *rdata, size_t rdlen, size_t max, size_t *len)
{
	size_t total = 0, i = 0;

	/* First pass: every length byte must fit in the rdata. */
	if (rdlen == 0)
		return NULL;
	while (i < rdlen) {
		size_t n = rdata[i];
		if (i + 1 + n > rdlen)
			return NULL;
		total += n;
		i += 1 + n;
	}
	if (total > max)
		return NULL;
	char *out = malloc(total + 1);
	if (out == NULL)
		log_panic("txt_decode: out of memory");
	size_t o = 0;
	for (i = 0; i < rdlen; i += 1 + rdata[i]) {
		memcpy(out + o, rdata + i + 1, rdata[i]);
		o += rdata[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

int txt_lookup(resolver_t *r, const char *name, txt_answer_t *out, char *err, size_t errlen)
{
	dns_answer_t *a = NULL;

	memset(out, 0, sizeof(*out));
	if (resolver_query(r, name, RR_TXT, &a, err, errlen) != 0)
		return -1;
	out->outcome = a->outcome;
	out->dnssec = a->dnssec;
	for (size_t i = 0; a->outcome == DNS_OK && i < a->count; i++) {
		size_t len = 0;
		char *t = txt_decode(a->rdata[i].data, a->rdata[i].len, TXT_RECORD_MAX, &len);
		if (t == NULL) {
			out->malformed++;
			continue;
		}
		if (out->count == TXT_RECORDS_MAX) {
			free(t);
			continue;
		}
		out->lengths[out->count] = len;
		out->records[out->count++] = t;
	}
	dns_answer_free(a);
	return 0;
}

void txt_answer_clear(txt_answer_t *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->count; i++)
		free(a->records[i]);
	memset(a, 0, sizeof(*a));
}

char *probe_join(const json_t *list)
{
	strbuf_t sb = STRBUF_INIT;
	size_t i;
	json_t *v;

	strbuf_init(&sb);
	json_array_foreach(list, i, v) {
		if (i)
			strbuf_puts(&sb, "; ");
		strbuf_puts(&sb, json_string_value(v) ? json_string_value(v) : "?");
	}
	char *out = strdup(sb.data ? sb.data : "");
	strbuf_free(&sb);
	if (out == NULL)
		log_panic("probe_join: out of memory");
	return out;
}
