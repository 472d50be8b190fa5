/*
 * resolver.c - mxray's one DNS resolver, on libunbound (see resolver.h).
 *
 * Trusts: the configured root hints and trust anchor, or the configured
 * forwarder (whose answers libunbound still validates). Never reads
 * /etc/resolv.conf or /etc/hosts. libunbound keeps a built-in local zone
 * for "test." (RFC 6761) that answers NXDOMAIN; it is removed so the
 * sandbox's test zones resolve, which changes nothing for real domains.
 * ub_resolve() is safe to call from many threads on one context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

#include "mail/resolver.h"

struct resolver {
	struct ub_ctx *ctx;
};

static int resolver_setup(struct ub_ctx *ctx, const mxray_config_t *cfg, char *err,
			  size_t errlen)
{
	int rc;

	/* The sandbox's servers, and a local forwarder, live on loopback. */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
		goto fail;
	if (strncmp(cfg->dns_resolver, "forward:", 8) == 0) {
		if ((rc = ub_ctx_set_fwd(ctx, cfg->dns_resolver + 8)) != 0) {
			snprintf(err, errlen, "[dns] resolver %s: %s", cfg->dns_resolver,
				 ub_strerror(rc));
			return -1;
		}
	} else if ((rc = ub_ctx_set_option(ctx, "root-hints:", cfg->dns_root_hints)) != 0) {
		snprintf(err, errlen, "[dns] root_hints %s: %s (is it readable?)",
			 cfg->dns_root_hints, ub_strerror(rc));
		return -1;
	}
	if ((rc = ub_ctx_add_ta_file(ctx, cfg->dns_trust_anchor)) != 0) {
		snprintf(err, errlen, "[dns] trust_anchor %s: %s (is it readable?)",
			 cfg->dns_trust_anchor, ub_strerror(rc));
		return -1;
	}
	/* Last: removing a zone finalizes the context; options set after fail. */
	if ((rc = ub_ctx_zone_remove(ctx, "test.")) != 0 && rc != UB_NOERROR)
		goto fail;
	/* The probe's PTR lookups of loopback addresses (the sandbox serves
	 * 127.in-addr.arpa) must reach DNS, not libunbound's built-in zone;
	 * real probes never target loopback (the abuse guard). */
	if ((rc = ub_ctx_zone_remove(ctx, "127.in-addr.arpa.")) != 0 && rc != UB_NOERROR)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "libunbound setup: %s", ub_strerror(rc));
	return -1;
}

resolver_t *resolver_new(const mxray_config_t *cfg, char *err, size_t errlen)
{
	resolver_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		snprintf(err, errlen, "libunbound: cannot create a context");
		free(r);
		return NULL;
	}
	if (resolver_setup(r->ctx, cfg, err, errlen) != 0) {
		resolver_free(r);
		return NULL;
	}
	return r;
}

void resolver_free(resolver_t *r)
{
	if (r == NULL)
		return;
	if (r->ctx)
		ub_ctx_delete(r->ctx);
	free(r);
}

int resolver_query(resolver_t *r, const char *name, int rrtype, dns_answer_t **out, char *err,
		   size_t errlen)
{
	struct ub_result *res = NULL;
	*out = NULL;
	int rc = ub_resolve(r->ctx, name, rrtype, 1 /* IN */, &res);
	if (rc != 0) {
		snprintf(err, errlen, "DNS lookup %s type %d: %s", name, rrtype, ub_strerror(rc));
		return -1;
	}
	dns_answer_t *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		ub_resolve_free(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->impl = res;
	a->rcode = res->rcode;
	a->dnssec = res->bogus ? DNSSEC_BOGUS : res->secure ? DNSSEC_SECURE : DNSSEC_INSECURE;
	if (res->bogus) {
		a->outcome = DNS_SERVFAIL;	/* bogus data is treated as absent */
		a->why_bogus = strdup(res->why_bogus ? res->why_bogus : "validation failed");
	} else if (res->rcode == 3) {
		a->outcome = DNS_NXDOMAIN;
	} else if (res->rcode != 0) {
		a->outcome = DNS_SERVFAIL;
	} else {
		a->outcome = res->havedata ? DNS_OK : DNS_NODATA;
	}
	if (res->canonname)
		a->canonname = strdup(res->canonname);
	if (a->outcome == DNS_OK) {
		size_t n = 0;
		while (res->data[n])
			n++;
		a->rdata = calloc(n ? n : 1, sizeof(*a->rdata));
		if (a->rdata == NULL) {
			dns_answer_free(a);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			a->rdata[i].data = (const unsigned char *)res->data[i];
			a->rdata[i].len = (size_t)res->len[i];
		}
		a->count = n;
	}
	a->packet = res->answer_packet;
	a->packet_len = res->answer_len > 0 ? (size_t)res->answer_len : 0;
	*out = a;
	return 0;
}

void dns_answer_free(dns_answer_t *a)
{
	if (a == NULL)
		return;
	if (a->impl)
		ub_resolve_free(a->impl);
	free(a->rdata);
	free(a->why_bogus);
	free(a->canonname);
	free(a);
}

const char *dnssec_status_name(dnssec_status_t s)
{
	switch (s) {
	case DNSSEC_SECURE: return "secure";
	case DNSSEC_BOGUS: return "bogus";
	case DNSSEC_INSECURE: return "insecure";
	}
	return "unknown";
}

const char *dns_outcome_name(dns_outcome_t o)
{
	switch (o) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "nodata";
	case DNS_NXDOMAIN: return "nxdomain";
	case DNS_SERVFAIL: return "servfail";
	}
	return "unknown";
}

int dns_name_from_wire(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (outlen == 0)
		return -1;
	for (;;) {
		if (i >= len)
			return -1;
		unsigned lab = data[i++];
		if (lab == 0)
			break;
		if (lab > 63 || i + lab > len)	/* compression pointers are not allowed here */
			return -1;
		if (o != 0) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '.';
		}
		for (unsigned k = 0; k < lab; k++) {
			unsigned char c = data[i++];
			/* Keep names printable: escape anything odd as \DDD. */
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				if (o + 1 >= outlen)
					return -1;
				out[o++] = (char)c;
			} else {
				if (o + 4 >= outlen)
					return -1;
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
			}
		}
	}
	out[o] = '\0';
	return (int)i;
}
