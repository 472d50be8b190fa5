/*
 * test_reply_policy.c - whom mxray answers: a table of messages (envelope,
 * headers, SPF and DKIM results) and the decision with its reason. Never
 * the null sender, Auto-Submitted other than no, Precedence bulk/list/junk,
 * List-Id or our own replies; with "authenticated" only SPF pass or a
 * passing DKIM signature aligned with the envelope domain (the reply goes
 * there; one aligned only with From could be a replay).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "analysis/reply_policy.h"

typedef struct pcase {
	const char *name, *mail_from, *from, *auto_submitted, *precedence, *list_id;
	const char *spf, *dkim_domain, *dkim_result;
	reply_mode_t mode;
	int want;
	const char *reason_part;
} pcase_t;

static const pcase_t cases[] = {
	{ "spf pass", "alice@sender.test", "alice@sender.test", NULL, NULL, NULL, "pass", NULL, NULL,
	  REPLY_AUTHENTICATED, 1, "SPF passes" },
	{ "null sender", "", "alice@sender.test", NULL, NULL, NULL, "pass", NULL, NULL,
	  REPLY_ANY, 0, "null sender" },
	{ "auto-replied", "alice@sender.test", NULL, "auto-replied", NULL, NULL, "pass", NULL, NULL,
	  REPLY_ANY, 0, "Auto-Submitted: auto-replied" },
	{ "auto-submitted no", "alice@sender.test", NULL, " No (comment)", NULL, NULL, "pass", NULL,
	  NULL, REPLY_AUTHENTICATED, 1, "SPF" },
	{ "precedence bulk", "alice@sender.test", NULL, NULL, "Bulk", NULL, "pass", NULL, NULL,
	  REPLY_ANY, 0, "Precedence: Bulk" },
	{ "precedence junk", "alice@sender.test", NULL, NULL, "junk", NULL, "pass", NULL, NULL,
	  REPLY_ANY, 0, "Precedence: junk" },
	{ "precedence first-class", "alice@sender.test", NULL, NULL, "first-class", NULL, "pass",
	  NULL, NULL, REPLY_AUTHENTICATED, 1, "SPF" },
	{ "list-id", "alice@sender.test", NULL, NULL, NULL, "<l.sender.test>", "pass", NULL, NULL,
	  REPLY_ANY, 0, "List-Id" },
	{ "our own reply (envelope)", "noreply@mxray.test", NULL, NULL, NULL, NULL, "pass", NULL,
	  NULL, REPLY_ANY, 0, "mxray itself" },
	{ "our own reply (From)", "bounce@other.test", "mxray <NoReply@mxray.test>", NULL, NULL,
	  NULL, "pass", NULL, NULL, REPLY_ANY, 0, "mxray itself" },
	{ "spf fail, no dkim", "alice@sender.test", "alice@sender.test", NULL, NULL, NULL, "fail",
	  NULL, NULL, REPLY_AUTHENTICATED, 0, "not authenticated" },
	{ "spf fail, any", "alice@sender.test", NULL, NULL, NULL, NULL, "fail", NULL, NULL,
	  REPLY_ANY, 1, "any" },
	{ "dkim aligned with envelope", "alice@mail.sender.test", "x@other.test", NULL, NULL, NULL,
	  "softfail", "sender.test", "pass", REPLY_AUTHENTICATED, 1, "aligned" },
	{ "dkim aligned with From only: a replay", "victim@esp.test", "Alice <alice@sender.test>",
	  NULL, NULL, NULL, "none", "sender.test", "pass", REPLY_AUTHENTICATED, 0, "not authenticated" },
	{ "dkim not aligned", "alice@sender.test", "alice@sender.test", NULL, NULL, NULL, "fail",
	  "esp.test", "pass", REPLY_AUTHENTICATED, 0, "not authenticated" },
	/* a loopback client: SPF has no verdict (libspf2 would pass it), so
	 * only an aligned DKIM pass can authenticate */
	{ "spf not evaluated", "alice@sender.test", "alice@sender.test", NULL, NULL, NULL, NULL,
	  NULL, NULL, REPLY_AUTHENTICATED, 0, "SPF not evaluated" },
	{ "spf not evaluated, dkim aligned", "alice@sender.test", "alice@sender.test", NULL, NULL,
	  NULL, NULL, "sender.test", "pass", REPLY_AUTHENTICATED, 1, "aligned" },
	{ "dkim aligned but failing", "alice@sender.test", "alice@sender.test", NULL, NULL, NULL,
	  "fail", "sender.test", "fail", REPLY_AUTHENTICATED, 0, "not authenticated" },
};

static char *dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

TEST(decision_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const pcase_t *c = &cases[i];
		message_facts_t m;
		message_facts_init(&m);
		message_facts_set_mail_from(&m, c->mail_from);
		m.from = dup(c->from);
		m.auto_submitted = dup(c->auto_submitted);
		m.precedence = dup(c->precedence);
		m.list_id = dup(c->list_id);
		m.spf = json_pack("{s:s?}", "result", c->spf);
		m.dkim = json_array();
		if (c->dkim_domain)
			json_array_append_new(m.dkim, json_pack("{s:s, s:s}", "domain", c->dkim_domain,
								"result", c->dkim_result));
		json_t *d = reply_policy_decide(&m, c->mode, "mxray <noreply@mxray.test>");
		int got = json_is_true(json_object_get(d, "reply"));
		const char *why = json_string_value(json_object_get(d, "reason"));
		if (got != c->want || why == NULL || strstr(why, c->reason_part) == NULL)
			printf("#   %s: reply=%d (%s), want %d (%s)\n", c->name, got, why ? why : "-",
			       c->want, c->reason_part);
		CHECK_INT(got, c->want);
		CHECK(why != NULL && strstr(why, c->reason_part) != NULL);
		/* automatic, list and own mail is not probed either */
		int automatic = why && (strstr(why, "null sender") || strstr(why, "Auto-Submitted") ||
					strstr(why, "Precedence") || strstr(why, "List-") ||
					strstr(why, "mxray itself"));
		CHECK_INT(json_is_true(json_object_get(d, "probe")), !automatic);
		json_decref(d);
		message_facts_clear(&m);
	}
}

/* List-Unsubscribe alone makes mail bulk here as in the header checks. */
TEST(list_unsubscribe_is_list_mail)
{
	message_facts_t m;
	message_facts_init(&m);
	message_facts_set_mail_from(&m, "news@sender.test");
	message_facts_header(&m, "List-Unsubscribe", "<https://sender.test/u>");
	m.spf = json_pack("{s:s}", "result", "pass");
	json_t *d = reply_policy_decide(&m, REPLY_ANY, NULL);
	CHECK(json_is_false(json_object_get(d, "reply")));
	CHECK(json_is_false(json_object_get(d, "probe")));
	CHECK(strstr(json_string_value(json_object_get(d, "reason")) ?: "", "List-Unsubscribe") != NULL);
	json_decref(d);
	message_facts_clear(&m);
}

TEST(job_obeys_the_decision)
{
	client_facts_t c;
	message_facts_t m;
	char err[128];
	client_facts_init(&c);
	message_facts_init(&m);
	message_facts_set_mail_from(&m, "alice@sender.test");
	m.spf = json_pack("{s:s}", "result", "fail");
	m.dkim = json_array();
	m.reply_policy = reply_policy_decide(&m, REPLY_AUTHENTICATED, NULL);
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK(job != NULL);
	CHECK(json_is_null(json_object_get(job, "reply_to")));
	CHECK(json_is_false(json_object_get(json_object_get(job, "reply_policy"), "reply")));
	CHECK(json_is_object(json_object_get(json_object_get(job, "message"), "reply_policy")));
	json_decref(job);
	json_decref(m.reply_policy);
	m.reply_policy = reply_policy_decide(&m, REPLY_ANY, NULL);
	job = message_job_new(&c, &m, err, sizeof(err));
	CHECK_STR(json_string_value(json_object_get(job, "reply_to")), "alice@sender.test");
	json_decref(job);
	message_facts_clear(&m);
	client_facts_clear(&c);
}

TEST(mode_names)
{
	reply_mode_t m;
	CHECK_INT(reply_mode_parse("authenticated", &m), 0);
	CHECK_INT(m, REPLY_AUTHENTICATED);
	CHECK_INT(reply_mode_parse("ANY", &m), 0);
	CHECK_INT(m, REPLY_ANY);
	CHECK_INT(reply_mode_parse("sometimes", &m), -1);
}

int main(void)
{
	RUN(decision_table);
	RUN(list_unsubscribe_is_list_mail);
	RUN(job_obeys_the_decision);
	RUN(mode_names);
	return harness_done();
}
