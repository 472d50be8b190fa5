/*
 * reply_policy.c - the reply decision of a test mail (see reply_policy.h).
 * Reads only what the milter already kept (bounded); no I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/address.h"
#include "analysis/dmarc.h"
#include "analysis/reply_policy.h"
#include "mail/record.h"

int reply_mode_parse(const char *s, reply_mode_t *out)
{
	if (s == NULL || s[0] == '\0' || strcasecmp(s, "authenticated") == 0)
		*out = REPLY_AUTHENTICATED;
	else if (strcasecmp(s, "any") == 0)
		*out = REPLY_ANY;
	else
		return -1;
	return 0;
}

static json_t *decision(int reply, int probe, const char *reason)
{
	json_t *o = json_object();
	json_object_set_new(o, "reply", json_boolean(reply));
	json_object_set_new(o, "probe", json_boolean(probe));
	record_set_text(o, "reason", reason);
	return o;
}

/* same_address - a and the address inside b ("Name <addr>" or addr). */
static int same_address(const char *a, const char *b)
{
	if (a == NULL || b == NULL || !a[0] || !b[0])
		return 0;
	const char *lt = strrchr(b, '<');
	char *bare = address_strip(lt ? lt : b);
	int same = bare && strcasecmp(a, bare) == 0;
	free(bare);
	return same;
}

int reply_policy_automatic(const message_facts_t *m, const char *own_address, char *why,
			   size_t len)
{
	if (message_facts_null_sender(m)) {
		snprintf(why, len, "%s", "null sender (bounces are never answered)");
		return 1;
	}
	if (facts_auto_submitted(m->auto_submitted)) {
		snprintf(why, len, "Auto-Submitted: %.60s (RFC 3834: no replies to automatic mail)",
			 m->auto_submitted);
		return 1;
	}
	if (message_facts_list_mail(m, why, len))
		return 1;
	if (same_address(m->mail_from, own_address)) {
		snprintf(why, len, "%s", "sent by mxray itself");
		return 1;
	}
	if (m->from && own_address) {
		/* any mailbox of From, as the RFC 5322 parser reads it */
		address_list_t l;
		address_list_parse(m->from, &l);
		int own = 0;
		for (size_t i = 0; i < l.count && i < ADDRESS_LIST_MAX; i++)
			own |= same_address(l.addr[i], own_address);
		address_list_free(&l);
		if (own) {
			snprintf(why, len, "%s", "sent by mxray itself");
			return 1;
		}
	}
	return 0;
}

json_t *reply_policy_decide(const message_facts_t *m, reply_mode_t mode, const char *own_address)
{
	char why[400];

	if (reply_policy_automatic(m, own_address, why, sizeof(why)))
		return decision(0, 0, why);
	if (mode == REPLY_ANY)
		return decision(1, 1, "reply policy \"any\"");

	const char *spf = json_string_value(json_object_get(m->spf, "result"));
	if (spf && strcmp(spf, "pass") == 0)
		return decision(1, 1, "SPF passes for the envelope sender");
	/* The reply goes to the envelope sender, so that is who must be
	 * authenticated: a DKIM signature aligned only with the From domain
	 * can be replayed under any envelope sender, and answering it would
	 * mail a stranger (backscatter). */
	char *env_dom = address_domain(m->mail_from);
	size_t i;
	json_t *sig;
	int ok = 0;
	json_array_foreach(m->dkim, i, sig) {
		const char *r = json_string_value(json_object_get(sig, "result"));
		const char *d = json_string_value(json_object_get(sig, "domain"));
		if (r == NULL || d == NULL || strcmp(r, "pass") != 0)
			continue;
		if (env_dom && dmarc_aligned(d, env_dom, 0)) {
			snprintf(why, sizeof(why),
				 "DKIM signature of %.200s passes and is aligned with the envelope sender", d);
			ok = 1;
			break;
		}
	}
	free(env_dom);
	if (ok)
		return decision(1, 1, why);
	snprintf(why, sizeof(why), "the envelope sender is not authenticated: SPF %s and no passing "
		 "DKIM signature aligned with its domain", spf ? spf : "not evaluated");
	return decision(0, 1, why);
}
