/*
 * domain_policy.c - DMARC and SPF of the sender domain beside the probe
 * (see domain_policy.h).
 *
 * Trusts: dmarc_lookup and spf_policy_check to be safe from any thread
 * (the resolver and the SPF sandbox are); the thread owns nothing of the
 * caller's but the copied domain name.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dmarc.h"
#include "analysis/domain_policy.h"
#include "analysis/spf_policy.h"
#include "base/log.h"

struct domain_policy {
	const analysis_dns_t *dns;
	spf_sandbox_t *sb;
	char *domain;
	pthread_t thread;
	int threaded;
	json_t *dmarc, *spf;		/* the results, once looked up */
};

/* spf_dnssec - the DNSSEC status of the domain's TXT records, which the
 * SPF sandbox's own resolver does not report (asked again here; the
 * answer is usually cached by then). */
static const char *spf_dnssec(const analysis_dns_t *dns, const char *domain)
{
	dns_answer_t *a = NULL;
	char err[256];
	if (dns->query(dns->arg, domain, 16 /* TXT */, &a, err, sizeof(err)) != 0)
		return NULL;
	const char *st = a->outcome == DNS_SERVFAIL && a->dnssec != DNSSEC_BOGUS ? NULL :
			 dnssec_status_name(a->dnssec);
	dns_answer_free(a);
	return st;
}

static void *policy_lookups(void *arg)
{
	domain_policy_t *p = arg;
	p->dmarc = dmarc_lookup(p->dns, p->domain);
	if (p->sb != NULL) {
		p->spf = spf_policy_check(p->sb, p->domain);
		const char *st = spf_dnssec(p->dns, p->domain);
		json_object_set_new(p->spf, "dnssec", st ? json_string(st) : json_null());
	}
	return NULL;
}

domain_policy_t *domain_policy_start(const analysis_dns_t *dns, spf_sandbox_t *sb,
				     const char *domain)
{
	domain_policy_t *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->domain = strdup(domain)) == NULL)
		log_panic("domain_policy_start: out of memory");
	p->dns = dns;
	p->sb = sb;
	p->threaded = pthread_create(&p->thread, NULL, policy_lookups, p) == 0;
	return p;
}

void domain_policy_finish(domain_policy_t *p, const analysis_dns_t *dns, json_t *report)
{
	if (p != NULL) {
		if (p->threaded)
			pthread_join(p->thread, NULL);
		else
			policy_lookups(p);
		json_t *d = json_object_get(report, "dns");
		if (json_is_object(d)) {
			json_object_set_new(d, "dmarc", p->dmarc);
			if (p->spf)
				json_object_set_new(d, "spf", p->spf);
		} else {
			json_decref(p->dmarc);
			json_decref(p->spf);
		}
		free(p->domain);
		free(p);
	}
	json_t *msg = json_object_get(report, "message");
	json_t *ev = json_is_object(msg) ? dmarc_evaluate(dns, msg) : NULL;
	if (ev)
		json_object_set_new(msg, "dmarc", ev);
}
