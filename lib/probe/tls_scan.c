/*
 * tls_scan.c - the TLS scan of one address (see tls_scan.h).
 *
 * Trusts nothing a server answers: every reply goes through ch_parse, and
 * a suite the server "chooses" that we did not offer, or a version we did
 * not ask for, counts as a refusal, never as support. Bounded by the
 * handshake cap, the connection cap and the deadline; shared state (the
 * handshake counter, the error list) is under one mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/clienthello.h"
#include "probe/dh_primes.h"
#include "probe/smtp_client.h"
#include "probe/tls_scan.h"
#include "probe/tls_suites.h"

#define NPROTO 6
static const int proto_versions[NPROTO] = { CH_SSL2, CH_SSL3, CH_TLS10, CH_TLS11, CH_TLS12,
					    CH_TLS13 };
#define MAX_SUITES 400

/* What one protocol's scan found. */
typedef struct proto_result {
	int version;
	int supported;
	uint32_t accepted[MAX_SUITES];	/* in server order when server_order */
	size_t naccepted;
	int server_order;		/* 1 server, 0 client, -1 unknown (< 2 suites) */
	ch_reply_t first;		/* the first ServerHello (extensions) */
	int have_first;
	int parts;			/* interleaved parts its offer list was walked in */
	int state;			/* part 0's first answer: 0 not yet, 1 spoken, -1 not */
} proto_result_t;

struct part_task;

typedef struct scan {
	const tls_scan_link_t *link;
	const char *sni;
	long long hello_timeout_ms, deadline;
	pthread_mutex_t lock;
	int handshakes;
	json_t *errors;
	long long backoff_ms;		/* wait before the next connection (link_open) */
	int refused;			/* connections the server refused */
	struct part_task *tasks;	/* the work of the current phase */
	int ntasks, next_task;
	proto_result_t proto[NPROTO];
} scan_t;

static void scan_error(scan_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void scan_error(scan_t *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	if (json_array_size(s->errors) < 20)
		json_array_append_new(s->errors, record_text(buf, strlen(buf)));
	pthread_mutex_unlock(&s->lock);
}

/* link_open - one more connection for a hello, within the handshake cap
 * and the deadline: 0 with *fd and *conn, -1 (noted) when none can be had.
 * A server that refuses a connection (421, a reset, a connection limit)
 * is given time: every thread waits the shared backoff before its next
 * attempt, the backoff doubles from 200 ms to 3.2 s on each refusal and
 * halves on each success, and an attempt is retried up to
 * TLS_SCAN_RETRIES times, so a rate-limiting server slows the scan down
 * instead of ending it. */
static int link_open(scan_t *s, int version, int *fd, void **conn)
{
	char err[512];
	pthread_mutex_lock(&s->lock);
	int over = s->handshakes >= TLS_SCAN_MAX_HANDSHAKES;
	if (!over)
		s->handshakes++;
	pthread_mutex_unlock(&s->lock);
	if (over || clock_ms() >= s->deadline) {
		scan_error(s, "%s: %s", ch_version_name(version),
			   over ? "handshake cap reached" : "deadline reached");
		return -1;
	}
	for (int attempt = 0;; attempt++) {
		pthread_mutex_lock(&s->lock);
		long long wait = s->backoff_ms;
		pthread_mutex_unlock(&s->lock);
		if (wait > 0) {
			if (clock_ms() + wait >= s->deadline)
				break;
			struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (s->link->open(s->link->ctx, fd, conn, err, sizeof(err)) == 0) {
			pthread_mutex_lock(&s->lock);
			s->backoff_ms /= 2;
			if (s->backoff_ms < 50)
				s->backoff_ms = 0;
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		pthread_mutex_lock(&s->lock);
		s->refused++;
		s->backoff_ms = s->backoff_ms == 0 ? 200 : s->backoff_ms * 2;
		if (s->backoff_ms > 3200)
			s->backoff_ms = 3200;
		pthread_mutex_unlock(&s->lock);
		if (attempt >= TLS_SCAN_RETRIES || clock_ms() >= s->deadline)
			break;
	}
	scan_error(s, "%s: %s", ch_version_name(version), err);
	return -1;
}

/* handshake - one connection, one hello; 0 with r filled, -1 when no
 * hello could be sent (cap, deadline, connection failure: noted). */
static int handshake(scan_t *s, const ch_params_t *p, int want_ske, ch_reply_t *r)
{
	uint8_t hello[CH_HELLO_MAX];
	int fd;
	void *conn = NULL;

	long len = ch_build(p, hello, sizeof(hello));
	if (len < 0)
		log_panic("tls_scan: ClientHello for %s does not build", ch_version_name(p->version));
	if (link_open(s, p->version, &fd, &conn) != 0)
		return -1;
	long long d = clock_ms() + s->hello_timeout_ms;
	ch_exchange(fd, hello, (size_t)len, p->version, want_ske, d < s->deadline ? d : s->deadline,
		    r);
	s->link->close(s->link->ctx, conn);
	if (r->outcome == CH_MALFORMED || r->outcome == CH_IO)
		log_debug("tls_scan: %s hello: %s: %s", ch_version_name(p->version),
			  ch_outcome_name(r->outcome), r->why);
	return 0;
}

/* scan_heartbleed - the safe Heartbleed probe (ch_heartbleed) with the
 * protocol whose ServerHello echoed the heartbeat extension: 1
 * vulnerable, 0 not, -1 not tested. */
static int scan_heartbleed(scan_t *s, const proto_result_t *pr)
{
	uint8_t hello[CH_HELLO_MAX];
	char why[160];
	int fd;
	void *conn = NULL;
	ch_params_t p = { .version = pr->version, .suites = pr->accepted, .sni = s->sni,
			  .nsuites = pr->naccepted < CH_MAX_SUITES ? pr->naccepted : CH_MAX_SUITES };
	long len = p.nsuites > 0 ? ch_build(&p, hello, sizeof(hello)) : -1;
	if (len < 0 || link_open(s, p.version, &fd, &conn) != 0)
		return -1;
	long long d = clock_ms() + s->hello_timeout_ms;
	int rc = ch_heartbleed(fd, hello, (size_t)len, p.version, d < s->deadline ? d : s->deadline,
			       s->hello_timeout_ms < 2000 ? s->hello_timeout_ms : 2000, why,
			       sizeof(why));
	s->link->close(s->link->ctx, conn);
	if (rc < 0)
		scan_error(s, "heartbleed probe: %s", why);
	return rc;
}

/* chosen - the server accepted version v with a suite from list; index or -1. */
static int chosen(const ch_reply_t *r, int v, const uint32_t *list, size_t n)
{
	if (r->outcome != CH_SERVER_HELLO || r->version != v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (list[i] == r->suite)
			return (int)i;
	return -1;
}

static void remove_at(uint32_t *list, size_t *n, size_t i)
{
	memmove(list + i, list + i + 1, (*n - i - 1) * sizeof(*list));
	(*n)--;
}

/* offer_list - the suites to offer for version v: OpenSSL-known first
 * (what most servers run), then the rest; TLS 1.3 only its own. */
static size_t offer_list(int v, uint32_t *out)
{
	size_t n = 0;
	if (v == CH_SSL2) {
		for (size_t i = 0; tls_suite_ssl2_at(i); i++)
			out[n++] = tls_suite_ssl2_at(i)->code;
		return n;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; tls_suite_at(i) && n < MAX_SUITES; i++) {
			const tls_suite_t *t = tls_suite_at(i);
			if (tls_suite_is_tls13(t) != (v == CH_TLS13))
				continue;
			if ((pass == 0) != (t->openssl[0] != '\0'))
				continue;
			out[n++] = t->code;
		}
	return n;
}

/* is_chacha - 1 for the ChaCha20-Poly1305 suites (RFC 7905, TLS 1.3). */
static int is_chacha(uint32_t code)
{
	return (code >= 0xCCA8 && code <= 0xCCAE) || code == 0x1303;
}

/* scan_part - the suites version v accepts among part `part` of
 * `nparts` interleaved parts of the offer list (a list of ~330 TLS 1.2
 * suites is too long to walk one hello at a time on a slow link: its parts
 * are walked in parallel, within the connection cap). Part 0 speaks
 * first: when its first hello shows the protocol is not spoken, the other
 * parts send nothing. */
static void scan_part(scan_t *s, proto_result_t *pr, int part, int nparts)
{
	uint32_t all[MAX_SUITES], rem[CH_MAX_SUITES];
	size_t nall = offer_list(pr->version, all), nrem = 0;
	int v = pr->version, first = 1;
	ch_params_t p = { .version = v, .sni = s->sni, .key_share_x25519 = 1 };
	ch_reply_t r;

	if (v == CH_SSL2) {
		p.suites = all;
		p.nsuites = nall;
		if (handshake(s, &p, 0, &r) == 0 && r.outcome == CH_SERVER_HELLO && r.version == CH_SSL2) {
			pr->supported = 1;
			for (size_t i = 0; i < r.ssl2_nsuites && pr->naccepted < MAX_SUITES; i++)
				if (tls_suite_find(r.ssl2_suites[i]))
					pr->accepted[pr->naccepted++] = r.ssl2_suites[i];
		}
		pr->state = -1;
		return;
	}
	if (part > 0) {
		/* wait (bounded) for part 0's first answer */
		for (;;) {
			pthread_mutex_lock(&s->lock);
			int st = pr->state;
			pthread_mutex_unlock(&s->lock);
			if (st == 1)
				break;
			if (st < 0 || clock_ms() >= s->deadline)
				return;
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = (size_t)part; i < nall && nrem < CH_MAX_SUITES; i += (size_t)nparts)
		rem[nrem++] = all[i];
	while (nrem > 0) {
		p.suites = rem;
		p.nsuites = nrem;
		int i = -1;
		if (handshake(s, &p, 0, &r) == 0)
			i = chosen(&r, v, rem, nrem);
		if (part == 0 && first) {
			/* a lower version or "protocol_version" (or no answer at
			 * all): the protocol is not spoken, the other parts stop */
			pthread_mutex_lock(&s->lock);
			pr->state = i >= 0 || (r.outcome == CH_ALERT && r.alert_desc != 70) ? 1 : -1;
			pthread_mutex_unlock(&s->lock);
			first = 0;
		}
		if (i < 0)
			break;
		pthread_mutex_lock(&s->lock);
		if (!pr->have_first) {
			pr->first = r;
			pr->have_first = 1;
		}
		if (pr->naccepted < MAX_SUITES)
			pr->accepted[pr->naccepted++] = rem[i];
		pthread_mutex_unlock(&s->lock);
		remove_at(rem, &nrem, (size_t)i);
	}
	if (part == 0 && first) {
		pthread_mutex_lock(&s->lock);
		pr->state = -1;	/* no hello could be sent */
		pthread_mutex_unlock(&s->lock);
	}
}

/* parts_of - into how many interleaved parts version v's offer list is
 * split: one for a short list, else enough for CH_MAX_SUITES each and at
 * least one per scanning thread. */
static int parts_of(int v)
{
	uint32_t all[MAX_SUITES];
	size_t nall = offer_list(v, all);
	if (v == CH_SSL2 || nall <= CH_MAX_SUITES)
		return 1;
	size_t n = (nall + CH_MAX_SUITES - 1) / CH_MAX_SUITES;
	return (int)(n < TLS_SCAN_MAX_PARALLEL ? TLS_SCAN_MAX_PARALLEL : n);
}

/* scan_order - after every part: supported or not, and whether the server
 * or the client chooses (and, when it is the server and the suites came
 * from several parts, the server's whole order). */
static void scan_order(scan_t *s, proto_result_t *pr)
{
	static const size_t chunk_max = CH_MAX_SUITES;
	uint32_t rem[CH_MAX_SUITES];
	int v = pr->version, chunks = pr->parts;
	ch_params_t p = { .version = v, .sni = s->sni, .key_share_x25519 = 1 };
	ch_reply_t r;

	if (v == CH_SSL2)
		return;
	pr->supported = pr->naccepted > 0;
	pr->server_order = -1;
	if (pr->naccepted < 2)
		return;
	/* Server or client order: offer the accepted suites reversed. The
	 * discovery order is the server's if it chooses, ours if it follows. */
	size_t n = pr->naccepted < chunk_max ? pr->naccepted : chunk_max;
	for (size_t i = 0; i < n; i++)
		rem[i] = pr->accepted[n - 1 - i];
	/* Servers with OpenSSL's PRIORITIZE_CHACHA (Postfix sets it) choose
	 * ChaCha20 whenever the client lists it first, whatever their own
	 * order: lead with another suite so that quirk is not taken for
	 * "the client's order". */
	for (size_t i = 0; i < n && is_chacha(rem[0]); i++)
		if (!is_chacha(rem[i])) {
			uint32_t t = rem[0];
			rem[0] = rem[i];
			rem[i] = t;
		}
	p.suites = rem;
	p.nsuites = n;
	if (handshake(s, &p, 0, &r) != 0)
		return;
	int i = chosen(&r, v, rem, n);
	if (i < 0)
		return;
	if (i == 0 && chunks > 1) {
		/* Parts found the suites in no particular order, so the suite
		 * we put first may also be the server's favourite: offer it
		 * last too. A server that follows us takes the new first. */
		uint32_t picked = rem[0];
		memmove(rem, rem + 1, (n - 1) * sizeof(*rem));
		rem[n - 1] = picked;
		for (size_t k = 1; k + 1 < n && is_chacha(rem[0]); k++)	/* as above */
			if (!is_chacha(rem[k])) {
				uint32_t t = rem[0];
				rem[0] = rem[k];
				rem[k] = t;
			}
		if (handshake(s, &p, 0, &r) != 0 || (i = chosen(&r, v, rem, n)) < 0)
			return;
	}
	pr->server_order = i != 0;
	if (!pr->server_order || chunks == 1)
		return;
	/* Suites came from several lists: ask for the order once more. */
	uint32_t order[MAX_SUITES];
	size_t norder = 0;
	memcpy(rem, pr->accepted, n * sizeof(*rem));
	while (n > 0) {
		p.suites = rem;
		p.nsuites = n;
		if (handshake(s, &p, 0, &r) != 0 || (i = chosen(&r, v, rem, n)) < 0)
			return;		/* keep the discovery order */
		order[norder++] = rem[i];
		remove_at(rem, &n, (size_t)i);
	}
	memcpy(pr->accepted, order, norder * sizeof(*order));
}

/* A unit of the scan's first phase: one part of one protocol. */
typedef struct part_task {
	int proto, part, nparts;
} part_task_t;

static void *proto_worker(void *arg)
{
	scan_t *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		int k = s->next_task < s->ntasks ? s->next_task++ : -1;
		pthread_mutex_unlock(&s->lock);
		if (k < 0)
			return NULL;
		const part_task_t *t = &s->tasks[k];
		if (t->part < 0)
			scan_order(s, &s->proto[t->proto]);
		else
			scan_part(s, &s->proto[t->proto], t->part, t->nparts);
	}
}

/* scan_groups - the groups the server accepts, in its order of choice. */
static json_t *scan_groups(scan_t *s, int *dh_bits, const char **dh_prime)
{
	json_t *out = json_array();
	uint16_t groups[64];
	size_t ng = 0;
	ch_reply_t r;
	const proto_result_t *t13 = &s->proto[5], *t12 = NULL;

	for (int k = 4; k >= 1 && t12 == NULL; k--)
		if (s->proto[k].supported)
			t12 = &s->proto[k];
	for (int g = 1; g <= 0x0104; g++)
		if (ch_group_name(g) && ng < sizeof(groups) / sizeof(groups[0]))
			groups[ng++] = (uint16_t)g;

	ch_params_t p = { .sni = s->sni };
	uint32_t ec[CH_MAX_SUITES], dh[CH_MAX_SUITES];
	size_t nec = 0, ndh = 0;
	if (t12) {
		for (size_t i = 0; i < t12->naccepted; i++) {
			const tls_suite_t *t = tls_suite_find(t12->accepted[i]);
			if (t && strcmp(t->kx, "ECDH") == 0 && nec < CH_MAX_SUITES)
				ec[nec++] = t->code;
			if (t && strncmp(t->kx, "DH", 2) == 0 && strchr(t->kx, '/') == NULL &&
			    ndh < CH_MAX_SUITES && !tls_suite_anonymous(t))
				dh[ndh++] = t->code;
		}
		/* The prime that counts is the one of the authenticated DHE
		 * suites: OpenSSL's automatic DH picks a 1024-bit RFC 2409 prime
		 * for anonymous suites (80-bit security for a key exchange that
		 * has none against an active attacker anyway), so a default
		 * Postfix would look like Logjam. Anonymous suites are asked
		 * only when the server has no other DHE suite. */
		for (size_t i = 0; ndh == 0 && i < t12->naccepted; i++) {
			const tls_suite_t *t = tls_suite_find(t12->accepted[i]);
			if (t && strncmp(t->kx, "DH", 2) == 0 && strchr(t->kx, '/') == NULL &&
			    ndh < CH_MAX_SUITES)
				dh[ndh++] = t->code;
		}
	}
	if (t13->supported) {
		p.version = CH_TLS13;
		p.suites = t13->accepted;
		p.nsuites = t13->naccepted;
		p.key_share_x25519 = 0;	/* no share: the server names its pick */
	} else if (nec > 0) {
		p.version = t12->version;
		p.suites = ec;
		p.nsuites = nec;
	}
	while (p.suites && ng > 0) {
		p.groups = groups;
		p.ngroups = ng;
		if (handshake(s, &p, p.version != CH_TLS13, &r) != 0 || r.outcome != CH_SERVER_HELLO)
			break;
		size_t i;
		for (i = 0; i < ng && groups[i] != r.group; i++)
			;
		if (i == ng)
			break;		/* a group we did not offer, or none seen */
		const char *name = ch_group_name(r.group);
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%04X", (unsigned)r.group);
		json_array_append_new(out, json_string(name ? name : hex));
		memmove(groups + i, groups + i + 1, (ng - i - 1) * sizeof(*groups));
		ng--;
	}
	*dh_bits = 0;
	*dh_prime = NULL;
	if (ndh > 0) {
		ch_params_t q = { .version = t12->version, .suites = dh, .nsuites = ndh, .sni = s->sni };
		if (handshake(s, &q, 1, &r) == 0 && r.outcome == CH_SERVER_HELLO && r.dh_bits > 0) {
			*dh_bits = r.dh_bits;
			*dh_prime = dh_prime_name(r.dh_prime_sha256);
		}
	}
	return out;
}

static json_t *suite_json(uint32_t code)
{
	const tls_suite_t *t = tls_suite_find(code);
	char hex[16];
	json_t *o = json_object();
	snprintf(hex, sizeof(hex), code > 0xffff ? "0x%06X" : "0x%04X", (unsigned)code);
	json_object_set_new(o, "code", json_string(hex));
	json_object_set_new(o, "name", json_string(t ? t->iana : "unknown"));
	return o;
}

/* add_findings - the weaknesses that follow from what was found. */
static void add_findings(json_t *o, const scan_t *s, const char *subject, int fs_all,
			 int fs_some, int dh_bits, const char *dh_prime)
{
	int rc4 = 0, b64 = 0, exp = 0, null = 0, anon = 0, cbc10 = 0;
	char ex_rc4[96] = "", ex_b64[96] = "", ex_exp[96] = "", ex_null[96] = "", ex_anon[96] = "";

	for (int k = 0; k < NPROTO; k++) {
		const proto_result_t *pr = &s->proto[k];
		for (size_t i = 0; i < pr->naccepted; i++) {
			const tls_suite_t *t = tls_suite_find(pr->accepted[i]);
			if (!t)
				continue;
#define NOTE(flag, buf) do { if (!(flag)++) snprintf(buf, sizeof(buf), "%s", t->iana); } while (0)
			if (tls_suite_rc4(t))
				NOTE(rc4, ex_rc4);
			if (tls_suite_64bit_block(t))
				NOTE(b64, ex_b64);
			if (t->export_grade)
				NOTE(exp, ex_exp);
			if (tls_suite_null(t))
				NOTE(null, ex_null);
			if (tls_suite_anonymous(t))
				NOTE(anon, ex_anon);
#undef NOTE
			if (pr->version == CH_TLS10 && tls_suite_cbc(t))
				cbc10++;
		}
	}
	if (s->proto[0].supported)
		finding_add(o, "scan.protocol.sslv2", subject, "SSLv2 accepted");
	if (s->proto[1].supported)
		finding_add(o, "scan.protocol.sslv3", subject, "SSLv3 accepted");
	if (s->proto[2].supported || s->proto[3].supported)
		finding_add(o, "scan.protocol.tls10_11", subject, "accepted:%s%s",
			    s->proto[2].supported ? " TLSv1.0" : "", s->proto[3].supported ? " TLSv1.1" : "");
	if (exp)
		finding_add(o, "scan.cipher.export", subject, "%d suites, e.g. %s", exp, ex_exp);
	if (null)
		finding_add(o, "scan.cipher.null", subject, "%d suites, e.g. %s", null, ex_null);
	if (rc4)
		finding_add(o, "scan.cipher.rc4", subject, "%d suites, e.g. %s", rc4, ex_rc4);
	if (b64)
		finding_add(o, "scan.cipher.sweet32", subject, "%d suites, e.g. %s", b64, ex_b64);
	if (anon)
		finding_add(o, "scan.cipher.anonymous", subject, "%d suites, e.g. %s", anon, ex_anon);
	if (cbc10)
		finding_add(o, "scan.cbc.tls10", subject, "%d CBC suites with TLSv1.0", cbc10);
	if (!fs_some)
		finding_add(o, "scan.fs.none", subject, "no suite with ephemeral key exchange");
	else if (!fs_all)
		finding_add(o, "scan.fs.partial", subject, "some suites without forward secrecy");
	/* Logjam: one precomputation per prime breaks all 1024-bit
	 * exchanges with it, so a published prime is worse than an own one. */
	if (dh_bits > 0 && dh_bits <= 1024 && dh_prime != NULL)
		finding_add(o, "scan.dh.common", subject, "%s", dh_prime);
	else if (dh_bits > 0 && dh_bits < 2048)
		finding_add(o, "scan.dh.weak", subject, "DHE prime of %d bits", dh_bits);
}

/* scan_fallback_scsv - does the server refuse a downgrade (RFC 7507)?
 * Offer the highest pre-1.3 version below its best one, with that
 * version's accepted suites and TLS_FALLBACK_SCSV: a server that knows
 * better answers inappropriate_fallback (86). 1 yes, 0 no (it went on
 * with the lower version), -1 not applicable (one version) or unknown. */
static int scan_fallback_scsv(scan_t *s)
{
	const proto_result_t *best = NULL, *lower = NULL;
	for (int k = NPROTO - 1; k >= 0; k--) {	/* TLSv1.3 down to SSLv2 */
		const proto_result_t *pr = &s->proto[k];
		if (!pr->supported || pr->version < CH_SSL3)
			continue;
		if (best == NULL)
			best = pr;
		else if (pr->version <= CH_TLS12 && pr->naccepted > 0) {
			lower = pr;
			break;
		}
	}
	if (best == NULL || lower == NULL)
		return -1;
	uint32_t offer[CH_MAX_SUITES];
	size_t n = 0;
	for (size_t i = 0; i < lower->naccepted && n + 1 < CH_MAX_SUITES; i++)
		offer[n++] = lower->accepted[i];
	offer[n++] = 0x5600;	/* TLS_FALLBACK_SCSV */
	ch_params_t p = { .version = lower->version, .suites = offer, .nsuites = n, .sni = s->sni };
	ch_reply_t r;
	if (handshake(s, &p, 0, &r) != 0)
		return -1;
	if (r.outcome == CH_ALERT && r.alert_desc == 86)
		return 1;
	if (r.outcome == CH_SERVER_HELLO && r.version == lower->version)
		return 0;
	return -1;
}

json_t *tls_scan_run(const tls_scan_link_t *link, const char *sni, const char *subject,
		     long long hello_timeout_ms, long long deadline)
{
	scan_t *s = calloc(1, sizeof(*s));
	long long t0 = clock_ms();
	pthread_t th[TLS_SCAN_MAX_PARALLEL];
	int nth = 0;

	if (s == NULL)
		log_panic("tls_scan_run: out of memory");
	s->link = link;
	s->sni = sni;
	s->hello_timeout_ms = hello_timeout_ms;
	s->deadline = deadline;
	s->errors = json_array();
	pthread_mutex_init(&s->lock, NULL);
	for (int k = 0; k < NPROTO; k++)
		s->proto[k].version = proto_versions[k];
	/* TLS 1.2 and 1.3 hold most suites: start them first. */
	static const int start_order[NPROTO] = { 4, 5, 2, 3, 1, 0 };
	proto_result_t tmp[NPROTO];
	for (int k = 0; k < NPROTO; k++)
		tmp[k] = s->proto[start_order[k]];
	memcpy(s->proto, tmp, sizeof(tmp));
	/* Phase 1: every protocol's first part, then the other parts; phase
	 * 2: each protocol's order. Each phase on up to TLS_SCAN_MAX_PARALLEL
	 * threads (the connection cap decides how many hellos are out). */
	part_task_t tasks[NPROTO * 8];
	int nt = 0;
	for (int k = 0; k < NPROTO; k++) {
		s->proto[k].parts = parts_of(s->proto[k].version);
		tasks[nt++] = (part_task_t){ k, 0, s->proto[k].parts };
	}
	for (int k = 0; k < NPROTO; k++)
		for (int j = 1; j < s->proto[k].parts && nt < NPROTO * 8; j++)
			tasks[nt++] = (part_task_t){ k, j, s->proto[k].parts };
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1) {
			nt = 0;
			for (int k = 0; k < NPROTO; k++)
				tasks[nt++] = (part_task_t){ k, -1, 0 };
		}
		s->tasks = tasks;
		s->ntasks = nt;
		s->next_task = 0;
		nth = 0;
		for (int k = 0; k < TLS_SCAN_MAX_PARALLEL && k < nt; k++)
			if (pthread_create(&th[nth], NULL, proto_worker, s) == 0)
				nth++;
		if (nth == 0)
			proto_worker(s);
		for (int k = 0; k < nth; k++)
			pthread_join(th[k], NULL);
	}
	for (int k = 0; k < NPROTO; k++)	/* back to SSLv2 .. TLSv1.3 */
		tmp[k] = s->proto[k];
	for (int k = 0; k < NPROTO; k++)
		s->proto[start_order[k]] = tmp[k];

	int dh_bits = 0;
	const char *dh_prime = NULL;
	json_t *groups = scan_groups(s, &dh_bits, &dh_prime);
	int fallback = scan_fallback_scsv(s);

	json_t *o = json_object();
	json_t *protos = json_object(), *suites = json_object(), *orders = json_object();
	int fs_all = 1, fs_some = 0, server_order = -1;
	const ch_reply_t *ext = NULL;
	for (int k = 0; k < NPROTO; k++) {
		const proto_result_t *pr = &s->proto[k];
		const char *name = ch_version_name(pr->version);
		json_object_set_new(protos, name, json_boolean(pr->supported));
		if (!pr->supported)
			continue;
		json_t *arr = json_array();
		for (size_t i = 0; i < pr->naccepted; i++) {
			const tls_suite_t *t = tls_suite_find(pr->accepted[i]);
			json_array_append_new(arr, suite_json(pr->accepted[i]));
			if (t && tls_suite_forward_secret(t))
				fs_some = 1;
			else
				fs_all = 0;
		}
		json_object_set_new(suites, name, arr);
		json_object_set_new(orders, name, pr->server_order < 0 ? json_null() :
				    json_boolean(pr->server_order));
		if (pr->server_order >= 0)
			server_order = server_order == 0 ? 0 : pr->server_order;
		if (pr->have_first && pr->version <= CH_TLS12 && pr->version >= CH_SSL3)
			ext = &pr->first;	/* the best pre-1.3 protocol's hello */
	}
	json_object_set_new(o, "protocols", protos);
	json_object_set_new(o, "suites", suites);
	json_object_set_new(o, "server_order", server_order < 0 ? json_null() :
			    json_boolean(server_order));
	json_object_set_new(o, "server_order_by_protocol", orders);
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "dh_bits", dh_bits ? json_integer(dh_bits) : json_null());
	/* the published prime's name, "own" for the server's own, null: no DHE */
	json_object_set_new(o, "dh_prime", !dh_bits ? json_null() :
			    json_string(dh_prime ? dh_prime : "own"));
	json_object_set_new(o, "forward_secrecy", json_string(!fs_some ? "none" : fs_all ? "all" :
								   "some"));
	json_object_set_new(o, "secure_renegotiation", ext ? json_boolean(ext->reneg_info) :
			    json_null());
	json_object_set_new(o, "extended_master_secret", ext ? json_boolean(ext->ems) : json_null());
	json_object_set_new(o, "fallback_scsv", fallback < 0 ? json_null() : json_boolean(fallback));
	if (fallback == 0)
		finding_add(o, "scan.fallback_scsv.missing", subject, NULL);
	json_object_set_new(o, "session_ticket", ext ? json_boolean(ext->ticket) : json_null());
	json_object_set_new(o, "heartbeat", ext ? json_boolean(ext->heartbeat) : json_null());
	/* Only a server that speaks the heartbeat extension can bleed. */
	int bleed = -1;
	for (int k = NPROTO - 1; k >= 0 && ext && ext->heartbeat; k--)
		if (&s->proto[k].first == ext)
			bleed = scan_heartbleed(s, &s->proto[k]);
	json_object_set_new(o, "heartbleed", bleed < 0 ? json_null() : json_boolean(bleed));
	if (bleed == 1)
		finding_add(o, "scan.heartbleed", subject, "the server answered a heartbeat request "
			    "with more bytes than it carried (they were discarded unread)");
	json_object_set_new(o, "compression", ext ? json_boolean(ext->compression != 0) :
			    json_null());
	const proto_result_t *p12 = &s->proto[4];
	json_object_set_new(o, "downgrade_sentinel", p12->have_first && s->proto[5].supported ?
			    json_boolean(p12->first.downgrade == 12) : json_null());
	json_object_set_new(o, "handshakes", json_integer(s->handshakes));
	json_object_set_new(o, "refused_connections", json_integer(s->refused));
	json_object_set_new(o, "duration_ms", json_integer(clock_ms() - t0));
	json_object_set_new(o, "complete", json_boolean(json_array_size(s->errors) == 0));
	json_object_set(o, "errors", s->errors);

	int any = 0;
	for (int k = 0; k < NPROTO; k++)
		any |= s->proto[k].supported;
	if (any) {
		add_findings(o, s, subject, fs_all, fs_some, dh_bits, dh_prime);
		if (ext && !ext->reneg_info)
			finding_add(o, "scan.reneg.insecure", subject, "no renegotiation_info in %s",
				    ch_version_name(ext->version));
		if (ext && ext->compression)
			finding_add(o, "scan.compression", subject, "compression method %d",
				    ext->compression);
		if (server_order == 0)
			finding_add(o, "scan.order.client", subject, NULL);
	}
	json_decref(s->errors);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return o;
}

/* ---- the SMTP link ----------------------------------------------------- */

typedef struct smtp_link {
	smtp_client_opts_t opts;
	int pipelining;		/* the server offered PIPELINING (atomic: the scan's threads) */
} smtp_link_t;

/* offers_pipelining - the EHLO reply lists PIPELINING (RFC 2920). */
static int offers_pipelining(const smtp_reply_t *r)
{
	for (size_t i = 1; i < r->count; i++) {
		const char *t = smtp_reply_text(r, i);
		if (t && strncasecmp(t, "PIPELINING", 10) == 0 && (t[10] == '\0' || t[10] == ' '))
			return 1;
	}
	return 0;
}

static int smtp_link_open(void *ctx, int *fd, void **conn, char *err, size_t errlen)
{
	smtp_link_t *l = ctx;
	smtp_fail_t fail;
	smtp_reply_t reply, ehlo;
	int rc = -1;

	smtp_client_t *c = smtp_client_open(&l->opts, &fail, err, errlen);
	if (c == NULL)
		return -1;
	smtp_reply_init(&reply);
	smtp_reply_init(&ehlo);
	if (smtp_client_greeting(c, &reply, err, errlen) != 0)
		goto out;
	if (reply.code / 100 != 2) {
		snprintf(err, errlen, "greeting %d", reply.code);
		goto out;
	}
	smtp_reply_clear(&reply);
	if (__atomic_load_n(&l->pipelining, __ATOMIC_RELAXED)) {
		/* one round trip less for every hello after the first */
		int s = smtp_client_ehlo_starttls_raw(c, &ehlo, &reply, fd, err, errlen);
		if (s == 1)
			snprintf(err, errlen, "EHLO/STARTTLS refused (%d, %d)", ehlo.code, reply.code);
		rc = s == 0 ? 0 : -1;
		goto out;
	}
	if (smtp_client_ehlo(c, &ehlo, err, errlen) != 0)
		goto out;
	if (ehlo.code / 100 != 2) {
		snprintf(err, errlen, "EHLO refused (%d)", ehlo.code);
		goto out;
	}
	if (offers_pipelining(&ehlo))
		__atomic_store_n(&l->pipelining, 1, __ATOMIC_RELAXED);
	int s = smtp_client_starttls_raw(c, &reply, fd, err, errlen);
	if (s == 1)
		snprintf(err, errlen, "STARTTLS refused (%d)", reply.code);
	rc = s == 0 ? 0 : -1;
out:
	smtp_reply_clear(&ehlo);
	smtp_reply_clear(&reply);
	if (rc != 0) {
		smtp_client_quit(c);
		smtp_client_close(c);
	} else {
		*conn = c;
	}
	return rc;
}

static void smtp_link_close(void *ctx, void *conn)
{
	(void)ctx;
	smtp_client_close(conn);
}

json_t *tls_scan_address(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
			 long long job_deadline)
{
	char ip[NETADDR_STRLEN], subject[NETADDR_STRLEN + 300];
	smtp_link_t l = { smtp_client_opts_for(cfg, host, addr, job_deadline), 0 };
	tls_scan_link_t link = { smtp_link_open, smtp_link_close, &l };

	netaddr_format(addr, ip, sizeof(ip));
	snprintf(subject, sizeof(subject), "%.256s[%s]", host, ip);
	long long deadline = job_deadline > 0 ? job_deadline : clock_ms() + 120000;
	return tls_scan_run(&link, host, subject, cfg->tls_timeout_ms, deadline);
}
