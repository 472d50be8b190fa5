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
#include "probe/dane.h"
#include "probe/mx.h"
#include "probe/probe.h"
#include "probe/smtp_probe.h"
#include "probe/tls_probe.h"

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
			json_t *ao;
			if (addrs.dnssec == DNSSEC_BOGUS)
				ao = smtp_probe_not_tested(&addrs.addrs[k], "the address records failed "
							   "DNSSEC validation (bogus)");
			else if (clock_ms() >= job_deadline)
				ao = smtp_probe_not_tested(&addrs.addrs[k], "job deadline reached");
			else
				ao = smtp_probe_address(cfg, tls, h->name, &addrs.addrs[k], job_deadline);
			json_array_append_new(list, ao);
		}
		json_object_set_new(ho, "addresses", list);
		dane_check_mx(cfg, r, ho);
		json_array_append_new(hosts, ho);
	}
	json_t *dns = json_object();
	json_object_set(dns, "mx", mx.dns);
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
