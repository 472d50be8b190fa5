/*
 * fake_dns.h - canned DNS answers for the analysis tests (DKIM, SPF):
 * a table of (name, type) -> outcome, DNSSEC status, rdata, served through
 * analysis_dns_t, plus a wire-format reply for libopendkim. Lets the tests
 * prove how BOGUS, SERVFAIL and NXDOMAIN are treated without a DNS server.
 */
#ifndef MXRAY_TEST_FAKE_DNS_H
#define MXRAY_TEST_FAKE_DNS_H

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/analysis_dns.h"

#define FAKE_MAX_RR 4

typedef struct fake_rr {
	const char *name;
	int type;
	dns_outcome_t outcome;
	dnssec_status_t dnssec;
	const char *text[FAKE_MAX_RR];	/* TXT strings, or names (MX, PTR), or addresses */
	/* built by fake_encode: */
	unsigned char rdata[FAKE_MAX_RR][2048];
	size_t rdlen[FAKE_MAX_RR];
	size_t count;
	unsigned char packet[8192];
	size_t packet_len;
} fake_rr_t;

typedef struct fake_dns {
	fake_rr_t *rrs;
	size_t n;
	int queries;
} fake_dns_t;

/* fake_name - a name in uncompressed wire form; returns its length. */
static size_t fake_name(const char *name, unsigned char *out)
{
	size_t o = 0;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		out[o++] = (unsigned char)n;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

static void fake_encode(fake_rr_t *r)
{
	r->count = 0;
	for (int i = 0; i < FAKE_MAX_RR && r->text[i]; i++) {
		unsigned char *d = r->rdata[i];
		size_t n = 0;
		const char *t = r->text[i];
		switch (r->type) {
		case ns_t_txt: {
			size_t len = strlen(t);
			do {	/* character-strings of at most 255 bytes */
				size_t k = len > 255 ? 255 : len;
				d[n++] = (unsigned char)k;
				memcpy(d + n, t, k);
				n += k;
				t += k;
				len -= k;
			} while (len > 0);
			break;
		}
		case ns_t_a:
			inet_pton(AF_INET, t, d);
			n = 4;
			break;
		case ns_t_aaaa:
			inet_pton(AF_INET6, t, d);
			n = 16;
			break;
		case ns_t_mx:
			d[0] = 0;
			d[1] = 10;
			n = 2 + fake_name(t, d + 2);
			break;
		default:
			n = fake_name(t, d);
			break;
		}
		r->rdlen[i] = n;
		r->count++;
	}
	/* The whole reply: header, question, answers (name by pointer). */
	unsigned char *p = r->packet;
	int rcode = r->outcome == DNS_NXDOMAIN ? 3 : r->outcome == DNS_SERVFAIL ? 2 : 0;
	size_t an = r->outcome == DNS_OK ? r->count : 0;
	memset(p, 0, 12);
	p[2] = 0x81;
	p[3] = (unsigned char)(0x80 | rcode);
	p[5] = 1;
	p[7] = (unsigned char)an;
	size_t o = 12 + fake_name(r->name, p + 12);
	p[o++] = (unsigned char)(r->type >> 8);
	p[o++] = (unsigned char)r->type;
	p[o++] = 0;
	p[o++] = 1;
	for (size_t i = 0; i < an; i++) {
		p[o++] = 0xc0;
		p[o++] = 12;
		p[o++] = (unsigned char)(r->type >> 8);
		p[o++] = (unsigned char)r->type;
		p[o++] = 0;
		p[o++] = 1;
		memcpy(p + o, "\0\0\x0e\x10", 4);
		o += 4;
		p[o++] = (unsigned char)(r->rdlen[i] >> 8);
		p[o++] = (unsigned char)r->rdlen[i];
		memcpy(p + o, r->rdata[i], r->rdlen[i]);
		o += r->rdlen[i];
	}
	r->packet_len = o;
}

static int fake_query(void *arg, const char *name, int type, dns_answer_t **out, char *err,
		      size_t errlen)
{
	fake_dns_t *f = arg;
	(void)err;
	(void)errlen;
	f->queries++;
	dns_answer_t *a = calloc(1, sizeof(*a));
	a->outcome = DNS_NXDOMAIN;
	a->rcode = 3;
	for (size_t i = 0; i < f->n; i++) {
		fake_rr_t *r = &f->rrs[i];
		if (strcasecmp(r->name, name) != 0)
			continue;
		if (r->type != type) {
			a->outcome = DNS_NODATA;	/* the name exists */
			a->rcode = 0;
			continue;
		}
		a->outcome = r->outcome;
		a->dnssec = r->dnssec;
		a->rcode = r->outcome == DNS_NXDOMAIN ? 3 : r->outcome == DNS_SERVFAIL ? 2 : 0;
		if (r->dnssec == DNSSEC_BOGUS)
			a->why_bogus = strdup("signature expired (fake)");
		if (r->outcome == DNS_OK) {
			a->rdata = calloc(r->count, sizeof(*a->rdata));
			for (size_t k = 0; k < r->count; k++) {
				a->rdata[k].data = r->rdata[k];
				a->rdata[k].len = r->rdlen[k];
			}
			a->count = r->count;
		}
		a->packet = r->packet;
		a->packet_len = r->packet_len;
		break;
	}
	*out = a;
	return 0;
}

static analysis_dns_t fake_dns_source(fake_dns_t *f, fake_rr_t *rrs, size_t n)
{
	f->rrs = rrs;
	f->n = n;
	f->queries = 0;
	for (size_t i = 0; i < n; i++)
		fake_encode(&rrs[i]);
	analysis_dns_t d = { fake_query, f };
	return d;
}

#endif
