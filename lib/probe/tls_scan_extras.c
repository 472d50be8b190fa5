/*
 * tls_scan_extras.c - the TLS scan's probes besides the suites (see
 * tls_scan_engine.h): supported groups, the DHE prime, TLS_FALLBACK_SCSV
 * and the safe Heartbleed probe, queued once the first hellos say which
 * protocols the server speaks.
 *
 * Trusts: a group or prime only as the server named it in answer to what
 * we offered; the Heartbleed answer is never read into the report
 * (ch_heartbleed wipes it).
 */
#include <string.h>

#include "base/clock.h"
#include "probe/dh_primes.h"
#include "probe/tls_scan_engine.h"
#include "probe/tls_suites.h"

task_t *scan_groups_task_new(int proto)
{
	task_t *g = scan_task_new(T_GROUPS, proto, PRIO_GROUPS);
	for (int c = 1; c <= 0x0104 && g->ngroups < TLS_SCAN_MAX_GROUPS; c++)
		if (ch_group_name(c))
			g->groups[g->ngroups++] = (uint16_t)c;
	return g;
}

/* suites_where - the table's pre-1.3 suites that pred takes, at most
 * CH_MAX_SUITES. */
static size_t suites_where(int (*pred)(const tls_suite_t *), uint32_t *out)
{
	size_t n = 0;
	for (size_t i = 0; tls_suite_at(i) && n < CH_MAX_SUITES; i++) {
		const tls_suite_t *t = tls_suite_at(i);
		if (!tls_suite_is_tls13(t) && pred(t))
			out[n++] = t->code;
	}
	return n;
}

static int is_ecdhe(const tls_suite_t *t)
{
	return strcmp(t->kx, "ECDH") == 0;
}

static int is_dhe_signed(const tls_suite_t *t)
{
	return strncmp(t->kx, "DH", 2) == 0 && strchr(t->kx, '/') == NULL && !t->export_grade &&
	       !tls_suite_anonymous(t) && strcmp(t->kx, "DHEPSK") != 0;
}

static int is_dhe_anon(const tls_suite_t *t)
{
	return strncmp(t->kx, "DH", 2) == 0 && strchr(t->kx, '/') == NULL && !t->export_grade &&
	       tls_suite_anonymous(t);
}

/* scan_run_groups - one group per hello: the one the server picks from those
 * left (TLS 1.3: the HelloRetryRequest for no key share; before: the
 * ServerKeyExchange of an ECDHE suite). */
int scan_run_groups(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	uint32_t suites[CH_MAX_SUITES];
	size_t ns;
	ch_reply_t r;

	if (ps->version == CH_TLS13) {
		pthread_mutex_lock(&s->lock);
		ns = ps->nmain;
		memcpy(suites, ps->main_list, ns * sizeof(*suites));
		pthread_mutex_unlock(&s->lock);
	} else {
		ns = suites_where(is_ecdhe, suites);
	}
	if (ns == 0 || t->ngroups == 0)
		return 0;
	ch_params_t p = { .version = ps->version, .suites = suites, .nsuites = ns, .sni = s->sni,
			  .groups = t->groups, .ngroups = t->ngroups, .key_share_x25519 = 0 };
	memset(&r, 0, sizeof(r));
	if (scan_handshake(s, &p, ps->version != CH_TLS13, &r) != 0 || r.outcome != CH_SERVER_HELLO ||
	    r.version != ps->version)
		return 0;
	size_t i;
	for (i = 0; i < t->ngroups && t->groups[i] != r.group; i++)
		;
	if (i == t->ngroups)
		return 0;		/* a group we did not offer, or none seen */
	pthread_mutex_lock(&s->lock);
	if (s->facts->ngroups < TLS_SCAN_MAX_GROUPS)
		s->facts->groups[s->facts->ngroups++] = t->groups[i];
	pthread_mutex_unlock(&s->lock);
	memmove(t->groups + i, t->groups + i + 1, (t->ngroups - i - 1) * sizeof(*t->groups));
	t->ngroups--;
	return t->ngroups > 0;
}

/* scan_run_dh - the prime of the server's DHE suites. The one that counts is
 * that of the authenticated suites: OpenSSL's automatic DH picks a
 * 1024-bit RFC 2409 prime for anonymous suites (80-bit security for a
 * key exchange that has none against an active attacker anyway), so a
 * default Postfix would look like Logjam. Anonymous suites are asked only
 * when the server takes no other DHE suite. */
int scan_run_dh(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	uint32_t suites[CH_MAX_SUITES];
	size_t ns = suites_where(t->anonymous ? is_dhe_anon : is_dhe_signed, suites);
	ch_reply_t r;

	if (ns == 0)
		return 0;
	ch_params_t p = { .version = ps->version, .suites = suites, .nsuites = ns, .sni = s->sni };
	memset(&r, 0, sizeof(r));
	if (scan_handshake(s, &p, 1, &r) != 0)
		return 0;
	if (scan_chosen(&r, ps->version, suites, ns) >= 0 && r.dh_bits > 0) {
		pthread_mutex_lock(&s->lock);
		s->facts->dh_bits = r.dh_bits;
		s->facts->dh_prime = dh_prime_name(r.dh_prime_sha256);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	if (!t->anonymous && r.outcome == CH_ALERT) {
		t->anonymous = 1;	/* no signed DHE: ask the anonymous ones */
		return 1;
	}
	return 0;
}

/* scan_run_fallback - does the server refuse a downgrade (RFC 7507)? Offer
 * the highest pre-1.3 version below its best one, with what that version
 * accepted and TLS_FALLBACK_SCSV: a server that knows better answers
 * inappropriate_fallback (86). */
int scan_run_fallback(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	ch_params_t p = { .version = ps->version, .suites = t->list, .nsuites = t->n, .sni = s->sni };
	ch_reply_t r;
	memset(&r, 0, sizeof(r));
	if (scan_handshake(s, &p, 0, &r) != 0)
		return 0;
	int v = -1;
	if (r.outcome == CH_ALERT && r.alert_desc == 86)
		v = 1;
	else if (r.outcome == CH_SERVER_HELLO && r.version == ps->version)
		v = 0;
	pthread_mutex_lock(&s->lock);
	s->facts->fallback_scsv = v;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* scan_run_heartbleed - the safe Heartbleed probe (ch_heartbleed) with the
 * protocol whose ServerHello echoed the heartbeat extension. */
int scan_run_heartbleed(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	uint8_t hello[CH_HELLO_MAX];
	char why[160];
	int fd;
	void *conn = NULL;
	ch_params_t p = { .version = ps->version, .suites = t->list, .nsuites = t->n, .sni = s->sni };
	long len = t->n > 0 ? ch_build(&p, hello, sizeof(hello)) : -1;
	if (len < 0 || scan_link_open(s, p.version, &fd, &conn) != 0)
		return 0;
	long long d = clock_ms() + s->hello_timeout_ms;
	int rc = ch_heartbleed(fd, hello, (size_t)len, p.version, d < s->deadline ? d : s->deadline,
			       s->hello_timeout_ms < 2000 ? s->hello_timeout_ms : 2000, why,
			       sizeof(why));
	s->link->close(s->link->ctx, conn);
	if (rc < 0)
		scan_error(s, "heartbleed probe: %s", why);
	pthread_mutex_lock(&s->lock);
	s->facts->heartbleed = rc;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* scan_extras_queue_locked - every protocol's first answer is in: the tasks
 * that need to know which protocols are spoken. */
void scan_extras_queue_locked(scan_t *s)
{
	int best = -1, old = -1;	/* best of all; best before TLS 1.3 */
	for (int k = P_TLS13; k >= P_SSL3; k--)
		if (s->proto[k].spoken == 1 && s->proto[k].nfound > 0) {
			if (best < 0)
				best = k;
			if (old < 0 && k <= P_TLS12)
				old = k;
		}
	if (old < 0)
		return;
	scan_push_locked(s, scan_task_new(T_DH, old, PRIO_DH));
	if (s->proto[P_TLS13].spoken != 1) {
		scan_push_locked(s, scan_groups_task_new(old));
	}
	/* the highest older version below the best: does it refuse the downgrade? */
	int lower = -1;
	for (int k = (best == old ? old - 1 : old); k >= P_SSL3 && lower < 0; k--)
		if (s->proto[k].spoken == 1 && s->proto[k].nfound > 0)
			lower = k;
	if (lower >= 0) {
		task_t *f = scan_task_new(T_FALLBACK, lower, PRIO_LAST);
		for (size_t i = 0; i < s->proto[lower].nfound && f->n + 1 < CH_MAX_SUITES; i++)
			f->list[f->n++] = s->proto[lower].found[i];
		f->list[f->n++] = 0x5600;	/* TLS_FALLBACK_SCSV */
		scan_push_locked(s, f);
	}
	/* Only a server that speaks the heartbeat extension can bleed. */
	if (s->proto[old].have_first && s->proto[old].first.heartbeat) {
		task_t *h = scan_task_new(T_HEARTBLEED, old, PRIO_LAST);
		scan_snapshot_locked(&s->proto[old], h);
		scan_push_locked(s, h);
	}
}
