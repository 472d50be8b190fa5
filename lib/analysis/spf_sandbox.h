/*
 * spf_sandbox.h - SPF evaluation walled off from the milter.
 *
 * libspf2 1.2.10 (Debian 12) is not patched for CVE-2023-42118, an
 * integer underflow in macro expansion reachable from any attacker's SPF
 * record, and its exact trigger was never published, so no input filter
 * can be trusted to stop it. mxray therefore never runs libspf2 in the
 * milter's process: spf_sandbox_start forks a helper before the milter's
 * threads exist; for every evaluation the helper forks a fresh child with
 * tight resource limits and no way to gain privileges, which runs
 * spf_check_run and writes the result back. A child that crashes, hangs
 * past the deadline or writes garbage costs that one message a temperror
 * (and a warning in the log); the milter's memory, its Redis connection
 * and every other message are out of its reach, and no corrupted state
 * survives into the next evaluation.
 *
 * The price: one fork per message (about a millisecond) and no DNS cache
 * shared between evaluations. Requests are serialized (one at a time).
 */
#ifndef MXRAY_ANALYSIS_SPF_SANDBOX_H
#define MXRAY_ANALYSIS_SPF_SANDBOX_H

#include <jansson.h>
#include "analysis/analysis_dns.h"

typedef struct spf_sandbox spf_sandbox_t;

/* spf_sandbox_start - fork the helper; call while the process has one
 * thread. dns is used inside the children. NULL with reason in err. */
spf_sandbox_t *spf_sandbox_start(const analysis_dns_t *dns, long long timeout_ms, char *err,
				 size_t errlen);
/* spf_sandbox_run - like spf_check_run, in a child; never NULL.
 * Thread-safe (requests are serialized). */
json_t *spf_sandbox_run(spf_sandbox_t *sb, const char *client_ip, const char *helo,
			const char *mail_from);
/* spf_sandbox_stop - end the helper and wait for it; accepts NULL. */
void spf_sandbox_stop(spf_sandbox_t *sb);

#endif
