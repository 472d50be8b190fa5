/*
 * reply_policy.h - whether mxray may answer a test mail (DESIGN rule 4).
 *
 * A reply goes to the envelope sender only where that is plausibly the
 * real sender and wants mail: never to the null sender, never to mail
 * that says it was sent automatically (Auto-Submitted other than "no",
 * RFC 3834 5) or is list or bulk mail (Precedence: bulk, list, junk;
 * List-Id), never to mxray's own replies (their From or envelope sender
 * is [mail] from); and, with policy "authenticated" (the default), only
 * when SPF passes for the envelope sender or a DKIM signature passes whose
 * d= is aligned (relaxed) with the envelope sender's domain: the reply
 * goes there, and a signature aligned only with From can be replayed
 * under anyone's envelope.
 * The decision and its reason go into the job: reply_to null plus
 * "reply_policy": {"reply": false, "probe": true, "reason": "..."}.
 * Null-sender, automatic, list and own mail is not even probed ("probe":
 * false): the milter queues no job for it (DESIGN rule 4).
 */
#ifndef MXRAY_ANALYSIS_REPLY_POLICY_H
#define MXRAY_ANALYSIS_REPLY_POLICY_H

#include <jansson.h>
#include "analysis/message_facts.h"

typedef enum reply_mode {
	REPLY_AUTHENTICATED,	/* SPF pass or aligned DKIM pass needed */
	REPLY_ANY,		/* any sender that passes the other rules */
} reply_mode_t;

/* reply_mode_parse - "authenticated" or "any"; -1 otherwise. */
int reply_mode_parse(const char *s, reply_mode_t *out);

/* reply_policy_automatic - 1 with the reason in why when the mail gets
 * neither a reply nor a probe: the null sender, Auto-Submitted other than
 * "no", list or bulk mail (message_facts_list_mail), or mxray's own mail
 * (envelope or any From mailbox is own_address). Needs only the envelope
 * and headers. */
int reply_policy_automatic(const message_facts_t *m, const char *own_address, char *why,
			   size_t len);
/* reply_policy_decide - {"reply": bool, "probe": bool, "reason": "..."} for a message
 * whose spf and dkim results are in m; own_address is mxray's reply
 * sender (bare address or "Name <addr>", may be NULL). */
json_t *reply_policy_decide(const message_facts_t *m, reply_mode_t mode, const char *own_address);

#endif
