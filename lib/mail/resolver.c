/*
 * resolver.c - mxray's one DNS resolver, on libunbound (see resolver.h).
 *
 * Trusts: the configured root hints and trust anchor, or the configured
 * forwarder (whose answers libunbound still validates). Never reads
 * /etc/resolv.conf or /etc/hosts. libunbound keeps a built-in local zone
 * for "test." (RFC 6761) that answers NXDOMAIN; it is removed so the
 * sandbox's test zones resolve, which changes nothing for real domains.
 *
 * Does not trust the name servers it is sent to: every non-public range
 * (netaddr_special_range) minus [probe] allow_networks and the forwarder
 * is a do-not-query-address, and each lookup has a deadline. libunbound's
 * ub_resolve cannot be given one, so lookups are asynchronous: one
 * dispatcher thread per process waits on ub_fd and runs ub_process, the
 * asking thread waits on a condition variable until its answer or its
 * deadline, then ub_cancel. Both threads (libunbound's own and the
 * dispatcher) start at a process's first lookup. A forked child (the SPF
 * sandbox's) makes a fresh context at its first lookup: the parent's
 * threads are gone in it and the parent's context pipes are shared.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/text.h"
#include "mail/resolver.h"

/* At most this many do-not-query ranges: each allowed range inside a
 * refused one splits it into at most 128 pieces. */
#define RESOLVER_DONOTQ_MAX 4096

struct resolver {
	resolver_t *base;		/* a job's view: the resolver it shares, else NULL */
	long long deadline;		/* a job's view: its clock_ms() deadline */

	/* The shared resolver only, from here on. */
	long long timeout_ms;		/* [dns] timeout */
	char *spec, *hints, *anchor;	/* [dns] resolver, root_hints, trust_anchor */
	char **donotq;			/* "CIDR" strings for do-not-query-address */
	size_t ndonotq;
	struct ub_ctx *ctx;
	pid_t owner;			/* the process the context and its threads belong to */
	pthread_mutex_t start_lock;	/* the dispatcher's start */
	int started;			/* the dispatcher runs (in owner) */
	pthread_t dispatcher;
	int wake[2];			/* written to stop the dispatcher */
	pthread_mutex_t lock;		/* lookups' done flags */
	pthread_cond_t answered;	/* broadcast on each answer (monotonic clock) */
};

/* One lookup in flight: lives on the asking thread's stack until its
 * callback ran or ub_cancel succeeded. */
typedef struct lookup {
	resolver_t *r;
	int done;
	int err;
	struct ub_result *res;
} lookup_t;

/* range_covers - 1 if outer contains all of inner. */
static int range_covers(const netrange_t *outer, const netrange_t *inner)
{
	return outer->base.family == inner->base.family && outer->prefix <= inner->prefix &&
	       netrange_contains(outer, &inner->base);
}

/* range_half - the half of r (one bit longer) with that bit set to bit,
 * host bits cleared. */
static netrange_t range_half(const netrange_t *r, int bit)
{
	netrange_t h = *r;
	int max = r->base.family == AF_INET ? 32 : 128;
	for (int b = r->prefix; b < max; b++)
		h.base.bytes[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
	if (bit)
		h.base.bytes[r->prefix / 8] |= (unsigned char)(0x80u >> (r->prefix % 8));
	h.prefix = r->prefix + 1;
	return h;
}

/* donotq_add - refuse r except the allowed ranges in it: r itself when
 * none overlaps, nothing when one covers it, else each half in turn. */
static int donotq_add(resolver_t *r, const netrange_t *range, const netrange_t *allowed,
		      size_t nallowed)
{
	for (size_t i = 0; i < nallowed; i++)
		if (range_covers(&allowed[i], range))
			return 0;
	for (size_t i = 0; i < nallowed; i++) {
		if (range_covers(range, &allowed[i])) {
			netrange_t lo = range_half(range, 0), hi = range_half(range, 1);
			if (donotq_add(r, &lo, allowed, nallowed) != 0)
				return -1;
			return donotq_add(r, &hi, allowed, nallowed);
		}
	}
	if (r->ndonotq >= RESOLVER_DONOTQ_MAX)
		return -1;
	char addr[NETADDR_STRLEN], text[NETADDR_STRLEN + 8];
	netrange_t clean = *range;
	if (range->prefix < (range->base.family == AF_INET ? 32 : 128)) {
		clean = range_half(range, 0);	/* clears the host bits */
		clean.prefix = range->prefix;
	}
	netaddr_format(&clean.base, addr, sizeof(addr));
	snprintf(text, sizeof(text), "%s/%d", addr, clean.prefix);
	if ((r->donotq[r->ndonotq] = strdup(text)) == NULL)
		return -1;
	r->ndonotq++;
	return 0;
}

/* donotq_make - the do-not-query list: every non-public range minus
 * allow_networks and the forward: server's address. */
static int donotq_make(resolver_t *r, const mxray_config_t *cfg, char *err, size_t errlen)
{
	size_t nallowed = cfg->allow_networks.count;
	netrange_t *allowed = calloc(nallowed + 1, sizeof(*allowed));
	r->donotq = calloc(RESOLVER_DONOTQ_MAX, sizeof(*r->donotq));
	if (allowed == NULL || r->donotq == NULL) {
		free(allowed);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (nallowed)
		memcpy(allowed, cfg->allow_networks.items, nallowed * sizeof(*allowed));
	if (strncmp(cfg->dns_resolver, "forward:", 8) == 0) {
		char ip[NETADDR_STRLEN + 1];
		snprintf(ip, sizeof(ip), "%s", cfg->dns_resolver + 8);
		char *at = strchr(ip, '@');
		if (at)
			*at = '\0';
		if (netrange_parse(ip, &allowed[nallowed]) == 0)
			nallowed++;
	}
	netrange_t range;
	int rc = 0;
	for (size_t i = 0; rc == 0 && netaddr_special_range(i, &range, NULL) == 0; i++)
		rc = donotq_add(r, &range, allowed, nallowed);
	free(allowed);
	if (rc != 0)
		snprintf(err, errlen, "[probe] allow_networks: too many ranges inside non-public "
			 "space (at most %d refused pieces); list fewer, wider networks",
			 RESOLVER_DONOTQ_MAX);
	return rc;
}

/* ctx_make - a libunbound context with the resolver's settings. */
static struct ub_ctx *ctx_make(const resolver_t *r, char *err, size_t errlen)
{
	struct ub_ctx *ctx = ub_ctx_create();
	int rc;
	if (ctx == NULL) {
		snprintf(err, errlen, "libunbound: cannot create a context");
		return NULL;
	}
	/* Threads, not a forked process, answer asynchronous lookups. */
	if ((rc = ub_ctx_async(ctx, 1)) != 0)
		goto fail;
	/* Loopback is refused below like every other non-public range, minus
	 * what allow_networks allows (the sandbox's servers, a local
	 * forwarder): libunbound's own switch would refuse all or nothing. */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
		goto fail;
	for (size_t i = 0; i < r->ndonotq; i++)
		if ((rc = ub_ctx_set_option(ctx, "do-not-query-address:", r->donotq[i])) != 0)
			goto fail;
	if (strncmp(r->spec, "forward:", 8) == 0) {
		if ((rc = ub_ctx_set_fwd(ctx, r->spec + 8)) != 0) {
			snprintf(err, errlen, "[dns] resolver %s: %s", r->spec, ub_strerror(rc));
			ub_ctx_delete(ctx);
			return NULL;
		}
	} else if ((rc = ub_ctx_set_option(ctx, "root-hints:", r->hints)) != 0) {
		snprintf(err, errlen, "[dns] root_hints %s: %s (is it readable?)", r->hints,
			 ub_strerror(rc));
		ub_ctx_delete(ctx);
		return NULL;
	}
	if ((rc = ub_ctx_add_ta_file(ctx, r->anchor)) != 0) {
		snprintf(err, errlen, "[dns] trust_anchor %s: %s (is it readable?)", r->anchor,
			 ub_strerror(rc));
		ub_ctx_delete(ctx);
		return NULL;
	}
	/* Last: removing a zone finalizes the context; options set after fail. */
	if ((rc = ub_ctx_zone_remove(ctx, "test.")) != 0 && rc != UB_NOERROR)
		goto fail;
	/* The probe's PTR lookups of loopback addresses (the sandbox serves
	 * 127.in-addr.arpa) must reach DNS, not libunbound's built-in zone;
	 * real probes never target loopback (the abuse guard). */
	if ((rc = ub_ctx_zone_remove(ctx, "127.in-addr.arpa.")) != 0 && rc != UB_NOERROR)
		goto fail;
	return ctx;
fail:
	snprintf(err, errlen, "libunbound setup: %s", ub_strerror(rc));
	ub_ctx_delete(ctx);
	return NULL;
}

/* sync_init - the lock and the condition variable (monotonic clock). */
static void sync_init(resolver_t *r)
{
	pthread_condattr_t ca;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->start_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->answered, &ca);
	pthread_condattr_destroy(&ca);
}

resolver_t *resolver_new(const mxray_config_t *cfg, char *err, size_t errlen)
{
	resolver_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->wake[0] = r->wake[1] = -1;
	r->owner = getpid();
	r->timeout_ms = cfg->dns_timeout_ms > 0 ? cfg->dns_timeout_ms : 15000;
	sync_init(r);
	r->spec = strdup(cfg->dns_resolver);
	r->hints = strdup(cfg->dns_root_hints);
	r->anchor = strdup(cfg->dns_trust_anchor);
	if (r->spec == NULL || r->hints == NULL || r->anchor == NULL) {
		snprintf(err, errlen, "out of memory");
		resolver_free(r);
		return NULL;
	}
	if (donotq_make(r, cfg, err, errlen) != 0 || (r->ctx = ctx_make(r, err, errlen)) == NULL) {
		resolver_free(r);
		return NULL;
	}
	return r;
}

resolver_t *resolver_for_job(resolver_t *r, long long deadline_ms)
{
	resolver_t *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->base = r->base ? r->base : r;
	v->deadline = deadline_ms;
	if (r->base && r->deadline < deadline_ms)
		v->deadline = r->deadline;	/* a view of a view keeps the earlier end */
	return v;
}

/* dispatch - the dispatcher thread: runs libunbound's callbacks as
 * answers arrive, until woken through r->wake. */
static void *dispatch(void *arg)
{
	resolver_t *r = arg;
	struct pollfd p[2] = { { ub_fd(r->ctx), POLLIN, 0 }, { r->wake[0], POLLIN, 0 } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("resolver: poll: %s; DNS lookups will time out", strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		/* A broken pipe to libunbound's thread would wake poll forever. */
		if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_error("resolver: libunbound's answer pipe failed; DNS lookups will time out");
			return NULL;
		}
		if (p[0].revents && ub_process(r->ctx) != 0)
			log_error("resolver: libunbound cannot read its answers");
	}
}

/* resolver_ready - the dispatcher runs in this process; 0, or -1 with err. */
static int resolver_ready(resolver_t *r, char *err, size_t errlen)
{
	if (r->owner != getpid()) {
		/* Forked: this child has the parent's memory but not its threads,
		 * and the context's pipes to libunbound's thread are shared with
		 * the parent (whose thread would read this child's queries). So
		 * the child makes a context of its own. The inherited one is
		 * deleted only when no thread of it ever ran (deleting it would
		 * tell the parent's thread to quit); else it is left alone. */
		struct ub_ctx *ctx = ctx_make(r, err, errlen);
		if (ctx == NULL)
			return -1;
		if (!r->started)
			ub_ctx_delete(r->ctx);
		r->ctx = ctx;
		r->started = 0;
		r->wake[0] = r->wake[1] = -1;
		sync_init(r);
		r->owner = getpid();
	}
	pthread_mutex_lock(&r->start_lock);
	int rc = 0;
	if (!r->started) {
		if (pipe(r->wake) != 0) {
			snprintf(err, errlen, "resolver: pipe: %s", strerror(errno));
			rc = -1;
		} else if ((rc = pthread_create(&r->dispatcher, NULL, dispatch, r)) != 0) {
			snprintf(err, errlen, "resolver: cannot start a thread: %s", strerror(rc));
			close(r->wake[0]);
			close(r->wake[1]);
			r->wake[0] = r->wake[1] = -1;
			rc = -1;
		} else {
			r->started = 1;
		}
	}
	pthread_mutex_unlock(&r->start_lock);
	return rc;
}

void resolver_free(resolver_t *r)
{
	if (r == NULL)
		return;
	if (r->base == NULL) {
		if (r->started && r->owner == getpid()) {
			ssize_t w = write(r->wake[1], "x", 1);
			(void)w;
			pthread_join(r->dispatcher, NULL);
		}
		if (r->wake[0] >= 0) {
			close(r->wake[0]);
			close(r->wake[1]);
		}
		/* A forked child must not stop its parent's threads. */
		if (r->ctx && (r->owner == getpid() || !r->started))
			ub_ctx_delete(r->ctx);
		for (size_t i = 0; i < r->ndonotq; i++)
			free(r->donotq[i]);
		free(r->donotq);
		free(r->spec);
		free(r->hints);
		free(r->anchor);
		pthread_cond_destroy(&r->answered);
		pthread_mutex_destroy(&r->lock);
		pthread_mutex_destroy(&r->start_lock);
	}
	free(r);
}

/* on_answer - libunbound's callback, on the dispatcher thread. */
static void on_answer(void *arg, int err, struct ub_result *res)
{
	lookup_t *q = arg;
	pthread_mutex_lock(&q->r->lock);
	q->err = err;
	q->res = res;
	q->done = 1;
	pthread_cond_broadcast(&q->r->answered);
	pthread_mutex_unlock(&q->r->lock);
}

/* wait_answer - wait for q until deadline (clock_ms); 1 answered, 0 timed
 * out and cancelled. */
static int wait_answer(resolver_t *r, lookup_t *q, int id, long long deadline)
{
	pthread_mutex_lock(&r->lock);
	while (!q->done) {
		long long left = deadline - clock_ms();
		if (left > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(left / 1000);
			ts.tv_nsec += (long)(left % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&r->answered, &r->lock, &ts) != ETIMEDOUT || q->done)
				continue;
		}
		pthread_mutex_unlock(&r->lock);
		/* Cancelled, the callback never runs; not found, it is running
		 * or about to (libunbound took the query off its list): wait. */
		if (ub_cancel(r->ctx, id) == 0)
			return 0;
		pthread_mutex_lock(&r->lock);
		while (!q->done)
			pthread_cond_wait(&r->answered, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return 1;
}

/* answer_timed_out - the SERVFAIL answer of a lookup that got none in time. */
static dns_answer_t *answer_timed_out(const char *name, int rrtype, long long waited_ms)
{
	dns_answer_t *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->outcome = DNS_SERVFAIL;
	a->dnssec = DNSSEC_INSECURE;
	a->rcode = 2;
	a->timed_out = 1;
	char why[160];
	if (waited_ms > 0)
		snprintf(why, sizeof(why), "DNS timed out: no answer within %lld ms", waited_ms);
	else
		snprintf(why, sizeof(why), "DNS timed out: the job's deadline had passed");
	a->why_failed = strdup(why);
	if (a->why_failed == NULL) {
		free(a);
		return NULL;
	}
	if (waited_ms > 0) {
		char *p = text_printable(name, strlen(name), 300);
		log_warn("dns %s type %d: %s", p ? p : "?", rrtype, why);
		free(p);
	}
	return a;
}

int resolver_query(resolver_t *view, const char *name, int rrtype, dns_answer_t **out, char *err,
		   size_t errlen)
{
	resolver_t *r = view->base ? view->base : view;
	struct ub_result *res = NULL;
	*out = NULL;

	long long now = clock_ms(), deadline = now + r->timeout_ms;
	if (view->base && view->deadline < deadline)
		deadline = view->deadline;
	if (deadline <= now) {
		*out = answer_timed_out(name, rrtype, 0);
		goto timed_out;
	}
	if (resolver_ready(r, err, errlen) != 0)
		return -1;
	lookup_t q = { r, 0, 0, NULL };
	int id = 0;
	int rc = ub_resolve_async(r->ctx, name, rrtype, 1 /* IN */, &q, on_answer, &id);
	if (rc != 0) {
		snprintf(err, errlen, "DNS lookup %s type %d: %s", name, rrtype, ub_strerror(rc));
		return -1;
	}
	if (!wait_answer(r, &q, id, deadline)) {
		*out = answer_timed_out(name, rrtype, clock_ms() - now);
		goto timed_out;
	}
	if (q.err != 0) {
		ub_resolve_free(q.res);
		snprintf(err, errlen, "DNS lookup %s type %d: %s", name, rrtype, ub_strerror(q.err));
		return -1;
	}
	res = q.res;
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
timed_out:
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
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
	free(a->why_failed);
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
