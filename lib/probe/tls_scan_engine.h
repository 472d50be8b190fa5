/*
 * tls_scan_engine.h - the inside of the TLS scan (tls_scan.h), shared by
 * its parts: the engine (tls_scan.c: the queue of hellos, its threads,
 * connections and handshakes), the suite walks (tls_scan_suites.c) and
 * the other probes (tls_scan_extras.c: groups, DHE prime,
 * TLS_FALLBACK_SCSV, Heartbleed). Internal to lib/probe.
 *
 * Every field of scan_t and of its proto_state_t is under scan_t.lock
 * once the threads run (functions named *_locked expect it held), except
 * what is set before they start (the lists, link, sni, deadlines).
 */
#ifndef MXRAY_PROBE_TLS_SCAN_ENGINE_H
#define MXRAY_PROBE_TLS_SCAN_ENGINE_H

#include <pthread.h>
#include <stdint.h>

#include "probe/clienthello.h"
#include "probe/tls_scan.h"
#include "probe/tls_scan_facts.h"

enum { P_SSL2, P_SSL3, P_TLS10, P_TLS11, P_TLS12, P_TLS13 };	/* scan_t.proto[] */

typedef enum task_kind {
	T_FIRST,		/* a protocol's first hello: its main list */
	T_REVERSE,		/* the main list backwards: who chooses */
	T_WALK,			/* offer, remove the pick, repeat until refused */
	T_ORDER,		/* the server's order of suites found in several walks */
	T_GROUPS,		/* the groups the server accepts, in its order */
	T_DH,			/* the DHE prime */
	T_FALLBACK,		/* TLS_FALLBACK_SCSV */
	T_HEARTBLEED,
} task_kind_t;

/* Lower runs first; a walk keeps its priority between its hellos. */
enum { PRIO_FIRST_MAIN = 0, PRIO_REVERSE = 2, PRIO_ORDERED = 3, PRIO_FIRST_OTHER = 4,
       PRIO_GROUPS = 5, PRIO_WALK = 5, PRIO_DH = 6, PRIO_EXOTIC = 7, PRIO_LAST = 8 };

typedef struct task {
	task_kind_t kind;
	int proto;			/* index into scan_t.proto */
	int prio;
	int ordered;			/* T_WALK, T_ORDER: the picks are the server's order */
	int exotic;			/* T_WALK: suites outside the main list */
	uint32_t list[CH_MAX_SUITES];	/* what is left to offer */
	size_t n;
	uint16_t groups[TLS_SCAN_MAX_GROUPS];	/* T_GROUPS: left to offer */
	size_t ngroups;
	int anonymous;			/* T_DH: the second hello, anonymous suites */
	struct task *next;
} task_t;

/* What one protocol's scan knows so far. */
typedef struct proto_state {
	int version;
	int spoken;			/* 1 yes, -1 no, 0 not known (yet) */
	uint32_t main_list[CH_MAX_SUITES];	/* what servers commonly accept */
	size_t nmain;
	uint32_t rest[TLS_SCAN_MAX_SUITES];	/* every other suite of the table */
	size_t nrest;
	uint32_t found[TLS_SCAN_MAX_SUITES];	/* accepted, in discovery order */
	size_t nfound;
	uint32_t order[TLS_SCAN_MAX_SUITES];	/* the server's order, when it chooses */
	size_t norder;
	uint32_t first_pick, rev_pick;	/* the opening hellos' picks, 0: refused */
	int first_done, rev_done;	/* they have answered */
	int rev_queued;			/* the reverse hello was queued with the first */
	int first_maybe;		/* the first was refused, but not the version */
	int server_order;		/* 1, 0, -1 unknown */
	int exotic_found;		/* a suite outside the main list (server order) */
	int reordered;			/* T_ORDER was queued */
	ch_reply_t first;
	int have_first;
	int open_tasks;			/* queued or running, of this protocol */
} proto_state_t;

typedef struct scan {
	const tls_scan_link_t *link;
	const char *sni;
	long long hello_timeout_ms, deadline;
	int parallel;			/* threads, each with one hello in flight */
	pthread_mutex_t lock;
	pthread_cond_t work;
	task_t *queue;			/* by priority */
	task_t *held;			/* first hellos waiting for the gate */
	int gate;			/* a connection reached the TLS stage */
	int running;			/* tasks being worked on */
	int firsts_open;		/* T_FIRST tasks queued or running */
	int handshakes, refused;
	long long backoff_ms;		/* wait before the next connection (link_open) */
	json_t *errors;
	proto_state_t proto[TLS_SCAN_NPROTO];
	tls_scan_facts_t *facts;	/* groups, DH, SCSV, Heartbleed land here */
} scan_t;

/* The engine (tls_scan.c). */
void scan_error(scan_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
task_t *scan_task_new(task_kind_t kind, int proto, int prio);
/* scan_push_locked - queue a new task, counted for its protocol until it ends. */
void scan_push_locked(scan_t *s, task_t *t);
/* scan_link_open - a connection ready for a hello: 0 with *fd, *conn. */
int scan_link_open(scan_t *s, int version, int *fd, void **conn);
/* scan_handshake - one connection, one hello: 0 with r, -1 when none was sent. */
int scan_handshake(scan_t *s, const ch_params_t *p, int want_ske, ch_reply_t *r);
/* scan_chosen - the index in list of the suite r accepted with version v, or -1. */
int scan_chosen(const ch_reply_t *r, int v, const uint32_t *list, size_t n);
/* scan_offer - one hello of version v with list: the index chosen or -1. */
int scan_offer(scan_t *s, int v, const uint32_t *list, size_t n, ch_reply_t *r, int *answered);

/* The suite walks (tls_scan_suites.c); each run sends one hello and
 * returns 1 to be queued again. */
void scan_suite_lists(proto_state_t *ps);
void scan_found_add_locked(proto_state_t *ps, uint32_t code);
void scan_snapshot_locked(const proto_state_t *ps, task_t *t);
int scan_run_first(scan_t *s, task_t *t);
int scan_run_reverse(scan_t *s, task_t *t);
int scan_run_walk(scan_t *s, task_t *t);
int scan_run_order(scan_t *s, task_t *t);

/* The other probes (tls_scan_extras.c). */
task_t *scan_groups_task_new(int proto);
/* scan_extras_queue_locked - every first hello is in: queue what needs
 * to know which protocols are spoken. */
void scan_extras_queue_locked(scan_t *s);
int scan_run_groups(scan_t *s, task_t *t);
int scan_run_dh(scan_t *s, task_t *t);
int scan_run_fallback(scan_t *s, task_t *t);
int scan_run_heartbleed(scan_t *s, task_t *t);

#endif
