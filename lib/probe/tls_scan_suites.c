/*
 * tls_scan_suites.c - the TLS scan's suite walks (see tls_scan_engine.h):
 * which suites to offer, the two opening hellos of each protocol (the main
 * list from both ends: who chooses), and the walks that follow from their
 * answers: one in a row for a server that chooses, side by side for one
 * that follows the client.
 *
 * Trusts: only the engine's verdict of which offered suite was chosen
 * (scan_chosen); a pick from outside the list is a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "probe/tls_scan_engine.h"
#include "probe/tls_suites.h"

static void remove_at(uint32_t *list, size_t *n, size_t i)
{
	memmove(list + i, list + i + 1, (*n - i - 1) * sizeof(*list));
	(*n)--;
}

/* is_chacha - 1 for the ChaCha20-Poly1305 suites (RFC 7905, TLS 1.3). */
static int is_chacha(uint32_t code)
{
	return (code >= 0xCCA8 && code <= 0xCCAE) || code == 0x1303;
}

/* not_chacha_first - servers with OpenSSL's PRIORITIZE_CHACHA (Postfix
 * sets it) choose ChaCha20 whenever the client lists it first, whatever
 * their own order: lead with another suite so that quirk is not taken for
 * the server's order or for "the client's order". */
static void not_chacha_first(uint32_t *list, size_t n)
{
	for (size_t i = 1; i < n && is_chacha(list[0]); i++)
		if (!is_chacha(list[i])) {
			uint32_t t = list[0];
			list[0] = list[i];
			list[i] = t;
		}
}

/* scan_found_add_locked - a suite the server accepted (once). */
void scan_found_add_locked(proto_state_t *ps, uint32_t code)
{
	for (size_t i = 0; i < ps->nfound; i++)
		if (ps->found[i] == code)
			return;
	if (ps->nfound < TLS_SCAN_MAX_SUITES)
		ps->found[ps->nfound++] = code;
}

/* common_suite - 1 for what servers commonly accept: RSA, DHE or ECDHE
 * key exchange, RSA or ECDSA certificates or anonymous (Postfix offers
 * anonymous suites), no export grade. Static DH, PSK, SRP, Kerberos, GOST
 * and DSS certificates are rare enough to be walked beside the main list. */
static int common_suite(const tls_suite_t *t)
{
	size_t kl = strcspn(t->kx, "(");
	int kx = (kl == 3 && strncmp(t->kx, "RSA", 3) == 0) || (kl == 2 && strncmp(t->kx, "DH", 2) == 0) ||
		 (kl == 4 && strncmp(t->kx, "ECDH", 4) == 0);
	int au = strcmp(t->au, "RSA") == 0 || strcmp(t->au, "ECDSA") == 0 || strcmp(t->au, "None") == 0;
	return kx && au && !t->export_grade;
}

/* scan_suite_lists - version v's suites split into the main list (at most
 * CH_MAX_SUITES: common suites, those without encryption last so that
 * they are the ones to overflow) and the rest. TLS 1.3 has only a main
 * list, SSLv2 neither (its one hello is special). */
void scan_suite_lists(proto_state_t *ps)
{
	int v = ps->version;
	ps->nmain = ps->nrest = 0;
	if (v == CH_SSL2)
		return;
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; tls_suite_at(i); i++) {
			const tls_suite_t *t = tls_suite_at(i);
			if (tls_suite_is_tls13(t) != (v == CH_TLS13))
				continue;
			int common = v == CH_TLS13 || common_suite(t);
			int want = pass == 0 ? common && !tls_suite_null(t) :
				   pass == 1 ? common && tls_suite_null(t) : !common;
			if (!want)
				continue;
			if (pass < 2 && ps->nmain < CH_MAX_SUITES)
				ps->main_list[ps->nmain++] = t->code;
			else if (ps->nrest < TLS_SCAN_MAX_SUITES)
				ps->rest[ps->nrest++] = t->code;
		}
	not_chacha_first(ps->main_list, ps->nmain);
	/* and not last either: the reverse hello starts there */
	if (ps->nmain > 2 && is_chacha(ps->main_list[ps->nmain - 1]))
		for (size_t i = ps->nmain - 1; i-- > 1;)
			if (!is_chacha(ps->main_list[i])) {
				uint32_t t = ps->main_list[i];
				ps->main_list[i] = ps->main_list[ps->nmain - 1];
				ps->main_list[ps->nmain - 1] = t;
				break;
			}
}

/* push_walks_locked - walks over list (n codes), each of at most
 * CH_MAX_SUITES, split into `parts` interleaved lists (more when needed). */
static void push_walks_locked(scan_t *s, int proto, const uint32_t *list, size_t n, int parts,
			      int prio, int exotic)
{
	if (n == 0)
		return;
	size_t need = (n + CH_MAX_SUITES - 1) / CH_MAX_SUITES;
	if ((size_t)parts < need)
		parts = (int)need;
	for (int k = 0; k < parts; k++) {
		task_t *t = scan_task_new(T_WALK, proto, prio);
		t->exotic = exotic;
		for (size_t i = (size_t)k; i < n && t->n < CH_MAX_SUITES; i += (size_t)parts)
			t->list[t->n++] = list[i];
		if (t->n == 0) {
			free(t);
			continue;
		}
		scan_push_locked(s, t);
	}
}

/* scan_snapshot_locked - up to CH_MAX_SUITES of what ps accepted, into t. */
void scan_snapshot_locked(const proto_state_t *ps, task_t *t)
{
	for (size_t i = 0; i < ps->nfound && t->n < CH_MAX_SUITES; i++)
		t->list[t->n++] = ps->found[i];
}

/* ---- the tasks: each run sends one hello; 1 = queue it again -------- */

static int run_first_ssl2(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	uint32_t all[32];
	size_t n = 0;
	ch_reply_t r;
	for (size_t i = 0; tls_suite_ssl2_at(i) && n < 32; i++)
		all[n++] = tls_suite_ssl2_at(i)->code;
	ch_params_t p = { .version = CH_SSL2, .suites = all, .nsuites = n, .sni = s->sni };
	memset(&r, 0, sizeof(r));
	int ok = scan_handshake(s, &p, 0, &r) == 0 && r.outcome == CH_SERVER_HELLO &&
		 r.version == CH_SSL2;
	pthread_mutex_lock(&s->lock);
	ps->spoken = ok ? 1 : -1;
	for (size_t i = 0; ok && i < r.ssl2_nsuites; i++)
		if (tls_suite_find(r.ssl2_suites[i]))
			scan_found_add_locked(ps, r.ssl2_suites[i]);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* decide_locked - the first and the reverse hello of a protocol have
 * both answered (a = the pick from the main list, b = from it reversed;
 * 0 = refused): what to walk next. */
static void decide_locked(scan_t *s, int k)
{
	proto_state_t *ps = &s->proto[k];
	uint32_t a = ps->first_pick, b = ps->rev_pick, pool[TLS_SCAN_MAX_SUITES];
	size_t np = 0;

	if (a == 0 && b == 0) {
		/* The version is fine (no "protocol_version"), none of the
		 * main list is: perhaps a suite of the rest. */
		if (ps->first_maybe)
			push_walks_locked(s, k, ps->rest, ps->nrest, 1, PRIO_EXOTIC, 1);
		else
			ps->spoken = -1;	/* a lower version, protocol_version, silence */
		return;
	}
	if (a != 0 && a == b) {
		/* It chose the same from the other end: its own order. */
		ps->server_order = 1;
		ps->order[ps->norder++] = a;
		task_t *w = scan_task_new(T_WALK, k, PRIO_ORDERED);
		w->ordered = 1;
		for (size_t i = 0; i < ps->nmain; i++)
			if (ps->main_list[i] != a)
				w->list[w->n++] = ps->main_list[i];
		scan_push_locked(s, w);
		push_walks_locked(s, k, ps->rest, ps->nrest, 1, PRIO_EXOTIC, 1);
		return;
	}
	/* It follows our order (or one of the two went unanswered: then
	 * everything left is walked alike and no order is kept). */
	if (a != 0 && b != 0)
		ps->server_order = 0;
	else
		scan_error(s, "%s: the main list was answered one way only", ch_version_name(ps->version));
	for (size_t i = 0; i < ps->nmain; i++)
		if (ps->main_list[i] != a && ps->main_list[i] != b)
			pool[np++] = ps->main_list[i];
	for (size_t i = 0; i < ps->nrest && np < TLS_SCAN_MAX_SUITES; i++)
		pool[np++] = ps->rest[i];
	/* Interleaved, so the common suites spread over the walks; the rest
	 * rides along at their ends at no extra hello. */
	push_walks_locked(s, k, pool, np, ps->version == CH_TLS13 ? 1 : s->parallel,
			  PRIO_WALK, 0);
}

/* answered_locked - one of the two opening hellos is in (reverse: it was
 * the reversed list); the reply r chose list[i] (i < 0: refused). */
static void answered_locked(scan_t *s, task_t *t, int reverse, const uint32_t *list, int i,
			    const ch_reply_t *r, int answered)
{
	proto_state_t *ps = &s->proto[t->proto];
	if (i >= 0) {
		ps->spoken = 1;
		if (!ps->have_first || !reverse) {
			ps->first = *r;	/* the plain order's reply is the one to keep */
			ps->have_first = 1;
		}
		scan_found_add_locked(ps, list[i]);
		if (reverse)
			ps->rev_pick = list[i];
		else
			ps->first_pick = list[i];
	} else if (!reverse) {
		ps->first_maybe = answered && r->outcome == CH_ALERT && r->alert_desc != 70;
	}
	if (reverse)
		ps->rev_done = 1;
	else
		ps->first_done = 1;
	if (!reverse && !ps->rev_queued) {
		/* the reverse hello only for a version that is spoken */
		if (i >= 0 && ps->nmain >= 2) {
			ps->rev_queued = 1;
			scan_push_locked(s, scan_task_new(T_REVERSE, t->proto, PRIO_REVERSE));
			return;
		}
		ps->rev_done = 1;
	}
	if (ps->first_done && ps->rev_done)
		decide_locked(s, t->proto);
}

int scan_run_first(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	ch_reply_t r;
	int answered;

	if (ps->version == CH_SSL2)
		return run_first_ssl2(s, t);
	int i = scan_offer(s, ps->version, ps->main_list, ps->nmain, &r, &answered);
	pthread_mutex_lock(&s->lock);
	if (i >= 0 && ps->version == CH_TLS13) {
		scan_push_locked(s, scan_groups_task_new(t->proto));
	}
	answered_locked(s, t, 0, ps->main_list, i, &r, answered);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int scan_run_reverse(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	uint32_t rev[CH_MAX_SUITES];
	size_t n = ps->nmain;
	ch_reply_t r;
	int answered;

	for (size_t i = 0; i < n; i++)
		rev[i] = ps->main_list[n - 1 - i];
	int i = scan_offer(s, ps->version, rev, n, &r, &answered);
	pthread_mutex_lock(&s->lock);
	answered_locked(s, t, 1, rev, i, &r, answered);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int scan_run_walk(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	ch_reply_t r;
	int answered;

	if (t->ordered)
		not_chacha_first(t->list, t->n);
	int i = scan_offer(s, ps->version, t->list, t->n, &r, &answered);
	if (i < 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	uint32_t code = t->list[i];
	scan_found_add_locked(ps, code);
	if (t->ordered && ps->norder < TLS_SCAN_MAX_SUITES)
		ps->order[ps->norder++] = code;
	if (t->exotic)
		ps->exotic_found = 1;
	if (!ps->have_first) {
		ps->first = r;
		ps->have_first = 1;
	}
	ps->spoken = 1;
	pthread_mutex_unlock(&s->lock);
	remove_at(t->list, &t->n, (size_t)i);
	return t->n > 0;
}

/* scan_run_order - suites of a server that chooses were found in several
 * walks: walk them once more, all together, for its whole order. */
int scan_run_order(scan_t *s, task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	ch_reply_t r;
	int answered;

	not_chacha_first(t->list, t->n);
	int i = scan_offer(s, ps->version, t->list, t->n, &r, &answered);
	pthread_mutex_lock(&s->lock);
	if (i < 0) {
		ps->norder = 0;		/* keep the discovery order */
		ps->server_order = -1;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	ps->order[ps->norder++] = t->list[i];
	pthread_mutex_unlock(&s->lock);
	remove_at(t->list, &t->n, (size_t)i);
	return t->n > 0;
}
