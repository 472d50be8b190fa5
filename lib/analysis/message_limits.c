/*
 * message_limits.c - how much of a test message mxray reads (see
 * message_limits.h).
 */
#include <string.h>

#include "analysis/message_limits.h"
#include "mail/finding.h"

void message_limits_set(message_limits_t *l, long long max_headers, long long max_header_bytes,
			long long max_body_bytes)
{
	memset(l, 0, sizeof(*l));
	l->max_headers = max_headers;
	l->max_header_bytes = max_header_bytes;
	l->max_body_bytes = max_body_bytes;
}

int message_limits_header(message_limits_t *l, const char *name, const char *value)
{
	/* the field as it travels: "Name: value" (the CRLF aside) */
	long long bytes = (long long)strlen(name ? name : "") + 2 + (long long)strlen(value ? value : "");
	l->headers++;
	if (bytes > l->longest_header)
		l->longest_header = bytes;
	if ((l->max_headers > 0 && l->headers > l->max_headers) ||
	    (l->max_header_bytes > 0 && bytes > l->max_header_bytes)) {
		l->headers_not_read++;
		return 0;
	}
	return 1;
}

size_t message_limits_body(message_limits_t *l, size_t len)
{
	long long room = l->max_body_bytes > 0 ? l->max_body_bytes - l->body_bytes_read : (long long)len;
	size_t take = room <= 0 ? 0 : (long long)len < room ? len : (size_t)room;
	l->body_bytes += (long long)len;
	l->body_bytes_read += (long long)take;
	return take;
}

void message_limits_dkim(const message_limits_t *l, json_t *dkim)
{
	int body_cut = l->body_bytes > l->body_bytes_read;
	if (!body_cut && l->headers_not_read == 0)
		return;
	size_t i;
	json_t *sig;
	json_array_foreach(dkim, i, sig) {
		json_t *len = json_object_get(sig, "body_length");
		/* l= within what was read: the body hash saw every byte it covers */
		int body_ok = !body_cut || (json_is_integer(len) &&
					    json_integer_value(len) <= l->body_bytes_read);
		if (body_ok && l->headers_not_read == 0)
			continue;
		char reason[200];
		if (!body_ok)
			snprintf(reason, sizeof(reason), "not verified: the body has %lld bytes and only "
				 "the first %lld were read ([milter] max_body_bytes)", l->body_bytes,
				 l->body_bytes_read);
		else
			snprintf(reason, sizeof(reason), "not verified: %lld header field%s over [milter] "
				 "max_headers or max_header_bytes were not read", l->headers_not_read,
				 l->headers_not_read == 1 ? "" : "s");
		json_object_set_new(sig, "result", json_string("neutral"));
		json_object_set_new(sig, "reason", json_string(reason));
	}
}

json_t *message_limits_json(const message_limits_t *l)
{
	json_t *o = json_pack("{sI sI sI sI sI sI}", "headers", (json_int_t)l->headers,
			      "headers_not_read", (json_int_t)l->headers_not_read,
			      "longest_header_bytes", (json_int_t)l->longest_header,
			      "body_bytes", (json_int_t)l->body_bytes,
			      "body_bytes_read", (json_int_t)l->body_bytes_read,
			      "max_body_bytes", (json_int_t)l->max_body_bytes);
	json_object_set_new(o, "max_headers", json_integer(l->max_headers));
	json_object_set_new(o, "max_header_bytes", json_integer(l->max_header_bytes));
	if (l->headers_not_read > 0)
		finding_add(o, "message.limits.headers", NULL, "%lld of %lld header fields not read "
			    "(limits: %lld fields, %lld bytes each; the longest had %lld)",
			    l->headers_not_read, l->headers, l->max_headers, l->max_header_bytes,
			    l->longest_header);
	if (l->body_bytes > l->body_bytes_read)
		finding_add(o, "message.limits.body", NULL, "%lld of %lld body bytes read",
			    l->body_bytes_read, l->body_bytes);
	return o;
}
