/*
 * message_limits.c - how much of a test message mxray reads (see
 * message_limits.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analysis/dkim_verify.h"
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

void message_limits_dkim_skip(message_limits_t *l, const char *name, size_t bytes)
{
	if (l->dkim_skipped++ == 0) {
		snprintf(l->dkim_skipped_name, sizeof(l->dkim_skipped_name), "%s", name ? name : "");
		for (char *p = l->dkim_skipped_name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		l->dkim_skipped_bytes = (long long)bytes;
	}
}

/* covers - the signature's h= list names field (lowercase). */
static int covers(const json_t *sig, const char *field)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(sig, "headers"), i, h)
		if (json_string_value(h) && strcasecmp(json_string_value(h), field) == 0)
			return 1;
	return 0;
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
	if (!body_cut && l->headers_not_read == 0 && l->dkim_skipped == 0)
		return;
	size_t i;
	json_t *sig;
	json_array_foreach(dkim, i, sig) {
		json_t *len = json_object_get(sig, "body_length");
		/* l= within what was read: the body hash saw every byte it covers */
		int body_ok = !body_cut || (json_is_integer(len) &&
					    json_integer_value(len) <= l->body_bytes_read);
		/* Only the first too-long field's name is kept: with more than
		 * one, every signature is suspect. */
		int too_long = l->dkim_skipped > 1 ||
			       (l->dkim_skipped == 1 && covers(sig, l->dkim_skipped_name));
		if (body_ok && l->headers_not_read == 0 && !too_long)
			continue;
		char reason[240];
		if (too_long)
			snprintf(reason, sizeof(reason), "not verified: the signed %s field has %lld "
				 "bytes, more than the %d libopendkim can verify", l->dkim_skipped_name,
				 l->dkim_skipped_bytes, DKIM_VERIFY_HEADER_MAX);
		else if (!body_ok)
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
	json_object_set_new(o, "dkim_fields_too_long", json_integer(l->dkim_skipped));
	if (l->dkim_skipped > 0)
		finding_add(o, "message.limits.headers", NULL, "%lld header field%s too long for DKIM "
			    "verification (%s: %lld bytes; at most %d)", l->dkim_skipped,
			    l->dkim_skipped == 1 ? "" : "s", l->dkim_skipped_name,
			    l->dkim_skipped_bytes, DKIM_VERIFY_HEADER_MAX);
	return o;
}
