/*
 * probe.c - the MX walk of one domain (see probe.h).
 *
 * Trusts the resolver's answers only as data to look at; every address is
 * checked by the abuse guard (inside smtp_client_open) before a connect.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

/* One address of one MX host to probe, and its result. */
typedef struct addr_task {
	const mxray_config_t *cfg;
	resolver_t *r;
	SSL_CTX *tls;
	const char *host;
	const netaddr_t *addr;
	dnssec_status_t dnssec;		/* of the host's address records */
	long long job_deadline;
	json_t *result;
	json_t *ptr;			/* its PTR check (records_thread) */
} addr_task_t;

/* The TLS scan of one address, on a thread of its own: it starts as soon
 * as the probe's session has finished its STARTTLS handshake (the gate),
 * beside the rest of that session and its sessions per key type (all
 * within the address's connection slots), and not at all when the
 * session found no working TLS. */
typedef struct scan_job {
	const addr_task_t *t;
	pthread_mutex_t lock;
	pthread_cond_t told;
	int tls_ok;			/* -1 not told yet, 0 no TLS, 1 TLS worked */
	json_t *result;			/* NULL: no scan */
} scan_job_t;

static void scan_gate_tell(void *arg, int tls_ok)
{
	scan_job_t *j = arg;
	pthread_mutex_lock(&j->lock);
	j->tls_ok = tls_ok;
	pthread_cond_signal(&j->told);
	pthread_mutex_unlock(&j->lock);
}

static void *scan_thread(void *arg)
{
	scan_job_t *j = arg;
	pthread_mutex_lock(&j->lock);
	while (j->tls_ok < 0)
		pthread_cond_wait(&j->told, &j->lock);
	int go = j->tls_ok;
	pthread_mutex_unlock(&j->lock);
	if (go)
		j->result = tls_scan_address(j->t->cfg, j->t->host, j->t->addr, j->t->job_deadline);
	return NULL;
}

/* probe_one - the address object: reused, refused or probed (with the
 * TLS scan). */
static void probe_one(addr_task_t *t)
{
	const mxray_config_t *cfg = t->cfg;
	scan_job_t scan = { .t = t, .tls_ok = -1 };
	smtp_probe_tls_gate_t gate = { scan_gate_tell, &scan };
	pthread_t scan_th;
	int scanning = 0;
	/* Probed moments ago by an earlier job: reuse it (addr_cache.h). */
	json_t *ao = t->dnssec == DNSSEC_BOGUS ? NULL : addr_cache_get(cfg, t->host, t->addr);
	int reused = ao != NULL;
	if (reused) {
		/* with its TLS scan, if any */
	} else if (t->dnssec == DNSSEC_BOGUS)
		ao = smtp_probe_not_tested(t->addr, "the address records failed DNSSEC validation "
					   "(bogus)");
	else if (clock_ms() >= t->job_deadline)
		ao = smtp_probe_limited(t->addr, "job deadline", "job deadline reached");
	else {
		/* The TLS scan (issue 5) starts once the session's STARTTLS
		 * worked, not after the whole session: on a slow link that
		 * saves the session's last round trips. */
		if (strcmp(cfg->tls_scan, "yes") == 0) {
			pthread_mutex_init(&scan.lock, NULL);
			pthread_cond_init(&scan.told, NULL);
			scanning = pthread_create(&scan_th, NULL, scan_thread, &scan) == 0;
			if (!scanning) {
				pthread_cond_destroy(&scan.told);
				pthread_mutex_destroy(&scan.lock);
			}
		}
		ao = smtp_probe_address(cfg, t->tls, t->host, t->addr, t->job_deadline,
					scanning ? &gate : NULL);
	}
	if (scanning) {
		pthread_join(scan_th, NULL);
		if (scan.result != NULL)
			json_object_set_new(ao, "tls_scan", scan.result);
		pthread_cond_destroy(&scan.told);
		pthread_mutex_destroy(&scan.lock);
	}
	addr_cache_put(cfg, t->host, t->addr, ao);
	t->result = ao;
}

/* The addresses of a domain are probed in parallel, PROBE_PARALLEL at
 * once: each server still sees at most [probe] connections_per_address
 * connections (conn_limit.h), but a slow MX no longer holds up the next. */
#define PROBE_PARALLEL 8

typedef struct addr_pool {
	addr_task_t *tasks;
	size_t n, next;
	pthread_mutex_t lock;
} addr_pool_t;

static void *addr_worker(void *arg)
{
	addr_pool_t *pool = arg;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		size_t i = pool->next < pool->n ? pool->next++ : pool->n;
		pthread_mutex_unlock(&pool->lock);
		if (i == pool->n)
			return NULL;
		probe_one(&pool->tasks[i]);
	}
}

static void probe_all(addr_task_t *tasks, size_t n)
{
	addr_pool_t pool = { tasks, n, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[PROBE_PARALLEL];
	size_t nth = 0;
	for (size_t k = 0; k + 1 < PROBE_PARALLEL && k + 1 < n; k++)	/* + this thread */
		if (pthread_create(&th[nth], NULL, addr_worker, &pool) == 0)
			nth++;
	addr_worker(&pool);	/* this thread works too */
	for (size_t k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&pool.lock);
}

/* The DNS records of the report that need no probe result, looked up
 * while the addresses are probed (each lookup is a round trip or more on
 * a real link): CAA of each host, TLS-RPT, the PTR of each address; and
 * the records the checks after the probe will ask for (TLSA, MTA-STS)
 * are asked once here so that the resolver's cache has them by then. */
typedef struct records_job {
	resolver_t *r;
	const char *domain;
	const mx_list_t *mx;
	addr_task_t *tasks;
	size_t ntasks;
	json_t **caa;			/* per host */
	json_t *tls_rpt;
} records_job_t;

static void warm(resolver_t *r, const char *label, const char *name, int rrtype)
{
	char q[600], err[256];
	dns_answer_t *a = NULL;
	snprintf(q, sizeof(q), "%s%s", label, name);
	if (resolver_query(r, q, rrtype, &a, err, sizeof(err)) == 0)
		dns_answer_free(a);
}

static void *records_thread(void *arg)
{
	records_job_t *j = arg;
	for (size_t i = 0; i < j->mx->count; i++) {
		warm(j->r, "_25._tcp.", j->mx->hosts[i].name, 52 /* TLSA */);
		j->caa[i] = caa_check(j->r, j->mx->hosts[i].name);
	}
	warm(j->r, "_mta-sts.", j->domain, 16 /* TXT */);
	warm(j->r, "mta-sts.", j->domain, 1 /* A */);
	warm(j->r, "mta-sts.", j->domain, 28 /* AAAA */);
	j->tls_rpt = tlsrpt_check(j->r, j->domain);
	for (size_t i = 0; i < j->ntasks; i++)
		j->tasks[i].ptr = ptr_check(j->r, j->tasks[i].addr, j->tasks[i].host);
	return NULL;
}

const char *probe_job_problem(const json_t *job, char *buf, size_t len)
{
	if (record_check_format(job, JOB_FORMAT, buf, len) != 0)
		return buf;
	const char *d = json_string_value(json_object_get(job, "domain"));
	if (d == NULL || d[0] == '\0')
		return "job has no \"domain\" string";
	/* A name that is no domain would fail every delivery of the job: it is
	 * the job's fault, not the worker's. */
	if (!mx_domain_ok(d))
		return "job's \"domain\" is not a domain name";
	json_t *msg = json_object_get(job, "message");
	if (msg != NULL && !json_is_object(msg))
		return "job's \"message\" is not an object";
	json_t *reply_to = json_object_get(job, "reply_to");
	if (reply_to != NULL && !json_is_string(reply_to) && !json_is_null(reply_to))
		return "job's \"reply_to\" is neither a string nor null";
	return NULL;
}

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
	/* Every host's addresses first, then all addresses probed at once. */
	mx_addrs_t *addrs = calloc(mx.count ? mx.count : 1, sizeof(*addrs));
	addr_task_t *tasks = calloc(mx.count * 2 * MX_ADDRESSES_MAX + 1, sizeof(*tasks));
	if (addrs == NULL || tasks == NULL)
		log_panic("probe_domain: out of memory");
	size_t ntasks = 0;
	for (size_t i = 0; i < mx.count; i++) {
		if (mx_addresses(r, mx.hosts[i].name, &addrs[i], err, errlen) != 0) {
			free(addrs);
			free(tasks);
			mx_list_free(&mx);
			SSL_CTX_free(tls);
			return NULL;
		}
		for (size_t k = 0; k < addrs[i].count; k++)
			tasks[ntasks++] = (addr_task_t){ cfg, r, tls, mx.hosts[i].name, &addrs[i].addrs[k],
							 addrs[i].dnssec, job_deadline, NULL, NULL };
	}
	json_t **caa = calloc(mx.count ? mx.count : 1, sizeof(*caa));
	if (caa == NULL)
		log_panic("probe_domain: out of memory");
	records_job_t rj = { r, domain, &mx, tasks, ntasks, caa, NULL };
	pthread_t records_th;
	int records_threaded = pthread_create(&records_th, NULL, records_thread, &rj) == 0;
	probe_all(tasks, ntasks);
	if (records_threaded)
		pthread_join(records_th, NULL);
	else
		records_thread(&rj);
	for (size_t k = 0; k < ntasks; k++) {
		json_object_set_new(tasks[k].result, "ptr", tasks[k].ptr);
		greeting_assess(tasks[k].result, tasks[k].host);
	}

	json_t *hosts = json_array();
	size_t t = 0;
	for (size_t i = 0; i < mx.count; i++) {
		const mx_host_t *h = &mx.hosts[i];
		json_t *ho = json_object();
		json_t *list = json_array();
		record_set_text(ho, "host", h->name);
		json_object_set_new(ho, "preference", json_integer(h->preference));
		json_object_set_new(ho, "addresses_dnssec",
				    json_string(dnssec_status_name(addrs[i].dnssec)));
		record_set_text(ho, "addresses_problem", addrs[i].problem[0] ? addrs[i].problem : NULL);
		for (size_t k = 0; k < addrs[i].count; k++)
			json_array_append_new(list, tasks[t++].result);
		json_object_set_new(ho, "addresses", list);
		mx_host_assess(ho, h->name, &addrs[i]);
		json_object_set_new(ho, "caa", caa[i]);
		dane_check_mx(cfg, r, ho, mx.dns);
		json_array_append_new(hosts, ho);
	}
	free(caa);
	free(tasks);
	free(addrs);
	json_t *dns = json_object();
	json_object_set(dns, "mx", mx.dns);
	/* The domain's transport policies (issue 4): MTA-STS checks every MX. */
	json_object_set_new(dns, "mta_sts", mta_sts_check(cfg, r, domain, hosts, job_deadline));
	json_object_set_new(dns, "tls_rpt", rj.tls_rpt);
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
