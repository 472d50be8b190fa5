/*
 * txt.h - TXT records of the probe's policy lookups (_mta-sts, _smtp._tls,
 * CAA is separate), decoded from DNS wire form.
 *
 * Trusts nothing in the rdata: each character-string's length byte is
 * checked against the rdata length; a record that does not decode is
 * counted as malformed, never guessed at. The strings of one record are
 * concatenated (RFC 7208 3.3 style, as RFC 8461 and RFC 8460 expect). The
 * text may hold any byte: callers make it printable before it is shown.
 */
#ifndef MXRAY_PROBE_TXT_H
#define MXRAY_PROBE_TXT_H

#include <stddef.h>
#include <jansson.h>
#include "mail/resolver.h"

#define TXT_RECORDS_MAX 16	/* records kept from one answer */
#define TXT_RECORD_MAX 4096	/* bytes kept of one record */

typedef struct txt_answer {
	dns_outcome_t outcome;
	dnssec_status_t dnssec;
	size_t count;			/* decoded records */
	size_t malformed;		/* records that did not decode */
	char *records[TXT_RECORDS_MAX];	/* NUL-terminated, malloc'd */
	size_t lengths[TXT_RECORDS_MAX];
} txt_answer_t;

/* txt_decode - one TXT rdata into a malloc'd NUL-terminated string (*len
 * bytes, which may include NULs); NULL if malformed or over max bytes. */
char *txt_decode(const unsigned char *rdata, size_t rdlen, size_t max, size_t *len);
/* txt_lookup - TXT records of name; -1 with err only if the resolver failed. */
int txt_lookup(resolver_t *r, const char *name, txt_answer_t *out, char *err, size_t errlen);
void txt_answer_clear(txt_answer_t *a);
/* probe_join - the strings of a JSON array joined by "; " (malloc'd), for
 * a finding's detail. */
char *probe_join(const json_t *list);

#endif
