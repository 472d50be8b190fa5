/*
 * spf_sandbox.h - SPF evaluation walled off from the milter.
 *
 * libspf2 1.2.10 (Debian 12) is not patched for CVE-2023-42118, an
 * integer underflow in macro expansion reachable from any attacker's SPF
 * record, and its exact trigger was never published, so no input filter
 * can be trusted to stop it. mxray therefore never runs libspf2 in the
 * calling process. spf_sandbox_start forks a keeper while the caller has
 * one thread (for the milter: before its listening socket exists); the
 * keeper drops to an unprivileged user and forks the helper, and forks a
 * new one whenever the helper dies. For every evaluation the helper forks
 * a fresh child with tight resource limits and no way to gain privileges,
 * which runs spf_check_run and writes the result straight back to the
 * caller's thread over a channel of that request alone. Several children
 * run at once (opts.max_children), so a record that hangs its child until
 * the deadline stalls only its own message.
 *
 * A child that crashes, hangs past the deadline or writes garbage costs
 * that one message a temperror (and a warning in the log); the caller's
 * memory, its Redis connection, its listening socket and every other
 * message are out of its reach, and no corrupted state survives into the
 * next evaluation. The price: one fork per message (about a millisecond)
 * and no DNS cache shared between evaluations.
 *
 * Not hidden from the children: the memory the caller had when it forked
 * the keeper (its configuration among it) and the resolver's sockets.
 */
#ifndef MXRAY_ANALYSIS_SPF_SANDBOX_H
#define MXRAY_ANALYSIS_SPF_SANDBOX_H

#include <sys/types.h>
#include <jansson.h>
#include "analysis/analysis_dns.h"

#define SPF_SANDBOX_CHILDREN 8	/* evaluations at once, by default */

typedef struct spf_sandbox spf_sandbox_t;

typedef struct spf_sandbox_opts {
	long long timeout_ms;	/* per evaluation; the child is killed after it */
	const char *user;	/* the keeper, helper and children run as this user
				 * (privdrop_to); NULL or "": as the caller */
	int max_children;	/* evaluations at once; 0: SPF_SANDBOX_CHILDREN */
} spf_sandbox_opts_t;

/* spf_sandbox_start_opts - fork the keeper (and through it the helper);
 * call while the process has one thread, before it opens sockets the
 * children must not hold. dns is used inside the children. NULL with
 * the reason in err (a failed privilege drop among them). */
spf_sandbox_t *spf_sandbox_start_opts(const analysis_dns_t *dns, const spf_sandbox_opts_t *opts,
				      char *err, size_t errlen);
/* spf_sandbox_start - the same with timeout_ms, the caller's user and the
 * default number of children. */
spf_sandbox_t *spf_sandbox_start(const analysis_dns_t *dns, long long timeout_ms, char *err,
				 size_t errlen);
/* spf_sandbox_run - like spf_check_run, in a child; never NULL.
 * Thread-safe; calls from several threads run at once. */
json_t *spf_sandbox_run(spf_sandbox_t *sb, const char *client_ip, const char *helo,
			const char *mail_from);
/* spf_sandbox_keeper - the keeper's process id (the helper is its child;
 * for tests and diagnostics). */
pid_t spf_sandbox_keeper(const spf_sandbox_t *sb);
/* spf_sandbox_stop - end the keeper and helper and wait for them;
 * accepts NULL. */
void spf_sandbox_stop(spf_sandbox_t *sb);

#endif
