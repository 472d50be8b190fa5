/*
 * probe.c - the MX walk of one domain (see probe.h).
 *
 * Trusts the resolver's answers only as data to look at; every address is
 * checked by the abuse guard (inside smtp_client_open) before a connect.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "mail/record.h"
#include "probe/addr_cache.h"
#include "probe/caa.h"
#include "probe/dane.h"
#include "probe/greeting.h"
#include "probe/mta_sts.h"
#include "probe/mx.h"
#include "probe/probe.h"
#include "probe/ptr.h"
#include "probe/smtp_probe.h"
#include "probe/tls_probe.h"
#include "probe/tls_scan.h"
#include "probe/tlsrpt.h"

json_t *probe_domain(const mxray_config_t *cfg, resolver_t *r, const char *domain, char *err,
		     size_t errlen)
{
	mx_list_t mx;
	long long job_deadline = clock_ms() + cfg->job_deadline_ms;

	if (!mx_domain_ok(domain)) {
		snprintf(err, errlen, "\"%.80s\" is not a domain name", domain);
		return NULL;
	}
	SSL_CTX *tls = tls_probe_ctx_new(cfg->ca_file, err, errlen);
	if (tls == NULL)
		return NULL;
	if (mx_lookup(r, domain, cfg->max_mx, &mx, err, errlen) != 0) {
		SSL_CTX_free(tls);
		return NULL;
	}
	json_t *hosts = json_array();
	for (size_t i = 0; i < mx.count; i++) {
		const mx_host_t *h = &mx.hosts[i];
		mx_addrs_t addrs;
		if (mx_addresses(r, h->name, &addrs, err, errlen) != 0) {
			json_decref(hosts);
			mx_list_free(&mx);
			SSL_CTX_free(tls);
			return NULL;
		}
		json_t *ho = json_object();
		json_t *list = json_array();
		record_set_text(ho, "host", h->name);
		json_object_set_new(ho, "preference", json_integer(h->preference));
		json_object_set_new(ho, "addresses_dnssec",
				    json_string(dnssec_status_name(addrs.dnssec)));
		record_set_text(ho, "addresses_problem", addrs.problem[0] ? addrs.problem : NULL);
		for (size_t k = 0; k < addrs.count; k++) {
			/* Probed moments ago by an earlier job: reuse it (addr_cache.h). */
			json_t *ao = addrs.dnssec == DNSSEC_BOGUS ? NULL :
				     addr_cache_get(cfg, h->name, &addrs.addrs[k]);
			int reused = ao != NULL;
			if (reused) {
				/* with its TLS scan, if any */
			} else if (addrs.dnssec == DNSSEC_BOGUS)
				ao = smtp_probe_not_tested(&addrs.addrs[k], "the address records failed "
							   "DNSSEC validation (bogus)");
			else if (clock_ms() >= job_deadline)
				ao = smtp_probe_not_tested(&addrs.addrs[k], "job deadline reached");
			else
				ao = smtp_probe_address(cfg, tls, h->name, &addrs.addrs[k], job_deadline);
			/* The TLS scan (issue 5): new connections, after a STARTTLS that worked. */
			const char *st = json_string_value(json_object_get(ao, "starttls"));
			if (!reused && strcmp(cfg->tls_scan, "yes") == 0 && st && strcmp(st, "ok") == 0)
				json_object_set_new(ao, "tls_scan", tls_scan_address(cfg, h->name,
						    &addrs.addrs[k], job_deadline));
			addr_cache_put(cfg, h->name, &addrs.addrs[k], ao);
			json_object_set_new(ao, "ptr", ptr_check(r, &addrs.addrs[k], h->name));
			greeting_assess(ao, h->name);
			json_array_append_new(list, ao);
		}
		json_object_set_new(ho, "addresses", list);
		mx_host_assess(ho, h->name, &addrs);
		json_object_set_new(ho, "caa", caa_check(r, h->name));
		dane_check_mx(cfg, r, ho);
		json_array_append_new(hosts, ho);
	}
	json_t *dns = json_object();
	json_object_set(dns, "mx", mx.dns);
	/* The domain's transport policies (issue 4): MTA-STS checks every MX. */
	json_object_set_new(dns, "mta_sts", mta_sts_check(cfg, r, domain, hosts, job_deadline));
	json_object_set_new(dns, "tls_rpt", tlsrpt_check(r, domain));
	json_t *out = json_object();
	json_object_set_new(out, "dns", dns);
	json_object_set_new(out, "mx", hosts);
	mx_list_free(&mx);
	SSL_CTX_free(tls);
	return out;
}

size_t probe_count_tested(const json_t *probe, size_t *total)
{
	size_t tested = 0, all = 0, i, k;
	json_t *h, *a;

	json_array_foreach(json_object_get(probe, "mx"), i, h) {
		json_array_foreach(json_object_get(h, "addresses"), k, a) {
			all++;
			const char *s = json_string_value(json_object_get(a, "state"));
			if (s && strcmp(s, "tested") == 0)
				tested++;
		}
	}
	if (total)
		*total = all;
	return tested;
}
