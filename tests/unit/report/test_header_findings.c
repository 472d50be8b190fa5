/*
 * test_header_findings.c - the findings a report draws from the message's
 * "headers", "arc" and "authentication_results" (docs/report-format.md),
 * each present exactly when the fact says so.
 */
#include <stdlib.h>
#include "harness.h"
#include "report/assess.h"

/* assessed - the report around this message object, assessed, as text. */
static char *assessed(const char *message_json)
{
	json_t *rep = json_pack("{si ss}", "format", 1, "domain", "sender.test");
	json_object_set_new(rep, "message", json_loads(message_json, 0, NULL));
	report_assess(rep);
	char *text = json_dumps(rep, JSON_COMPACT);
	json_decref(rep);
	return text;
}

#define H(fields) "{\"tls\": null, \"headers\": {" fields "}}"
#define GOOD "\"from_count\": 1, \"from_mailboxes\": 1, \"date_count\": 1, \"date_valid\": true, " \
	"\"message_id_count\": 1, \"bulk\": false, \"one_click_unsubscribe\": false"

TEST(each_header_finding_when_due)
{
	static const struct { const char *msg; const char *want; } t[] = {
		{ H(GOOD), NULL },
		{ H("\"from_count\": 2, \"from_mailboxes\": 1"), "message.header.from_count" },
		{ H("\"from_count\": 0, \"from_mailboxes\": null"), "message.header.from_count" },
		{ H("\"from_count\": 1, \"from_mailboxes\": 3"), "message.header.from_multiple" },
		{ H("\"from_count\": 1, \"from_mailboxes\": 0, \"from_syntax\": \"'@' in a display name outside quotes\""),
		  "message.header.from_syntax" },
		{ H("\"date_count\": 0"), "message.header.date_missing" },
		{ H("\"date_count\": 1, \"date_valid\": false"), "message.header.date_invalid" },
		{ H("\"message_id_count\": 0"), "message.header.message_id_missing" },
		{ H("\"bulk\": true, \"one_click_unsubscribe\": false"), "message.header.unsubscribe_missing" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *text = assessed(t[i].msg);
		if (t[i].want == NULL) {
			CHECK(strstr(text, "message.header.") == NULL);
		} else {
			char q[80];
			snprintf(q, sizeof(q), "\"%s\"", t[i].want);
			CHECK(strstr(text, q) != NULL);
			if (strstr(text, q) == NULL)
				printf("#   no %s in %s\n", t[i].want, text);
		}
		free(text);
	}
	/* bulk with one-click: no unsubscribe finding */
	char *text = assessed(H("\"bulk\": true, \"one_click_unsubscribe\": true"));
	CHECK(strstr(text, "unsubscribe_missing") == NULL);
	free(text);
}

TEST(arc_and_upstream_results_are_information)
{
	char *text = assessed("{\"tls\": null, \"arc\": ["
		"{\"field\": \"ARC-Seal\", \"instance\": 1, \"cv\": \"none\", \"domain\": \"lists.example.org\"},"
		"{\"field\": \"ARC-Seal\", \"instance\": 2, \"cv\": \"fail\", \"domain\": \"relay.example.net\"}],"
		"\"authentication_results\": [{\"authserv_id\": \"mx.example.net\", \"results\": []}]}");
	CHECK(strstr(text, "\"message.arc.present\"") != NULL);
	CHECK(strstr(text, "i=2 cv=fail by relay.example.net") != NULL);
	CHECK(strstr(text, "\"message.auth_results.upstream\"") != NULL);
	CHECK(strstr(text, "1 field(s) by mx.example.net") != NULL);
	CHECK(strstr(text, "\"severity\":\"info\"") != NULL);
	free(text);
	text = assessed("{\"tls\": null, \"arc\": [], \"authentication_results\": []}");
	CHECK(strstr(text, "message.arc.present") == NULL);
	CHECK(strstr(text, "auth_results.upstream") == NULL);
	free(text);
}

/* The test mail's DMARC verdict: the From domain's missing or unusable
 * record and temporary errors are findings; pass and fail keep theirs. */
TEST(dmarc_findings_of_the_from_domain)
{
	static const struct { const char *dmarc, *want, *detail; } t[] = {
		{ "{\"domain\": \"none.test\", \"outcome\": \"none\", \"result\": \"none\"}",
		  "dmarc.from_missing", NULL },
		{ "{\"domain\": \"twice.test\", \"outcome\": \"invalid\", \"result\": \"permerror\","
		  " \"problems\": [\"2 v=DMARC1 records at _dmarc.twice.test\"]}",
		  "dmarc.from_invalid", "2 v=DMARC1 records" },
		{ "{\"domain\": \"x.test\", \"outcome\": \"found\", \"result\": \"temperror\","
		  " \"reason\": \"SPF of the aligned envelope domain had a temporary error\"}",
		  "dmarc.temperror", "temporary error" },
		{ "{\"domain\": \"x.test\", \"outcome\": \"found\", \"result\": \"fail\","
		  " \"applied_policy\": \"reject\"}", "dmarc.fail", "policy applied: reject" },
		/* no author domain: the header finding speaks, no DMARC record finding */
		{ "{\"domain\": null, \"outcome\": null, \"result\": \"permerror\"}", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char msg[600];
		snprintf(msg, sizeof(msg), "{\"tls\": null, \"dmarc\": %s}", t[i].dmarc);
		char *text = assessed(msg);
		if (t[i].want == NULL) {
			CHECK(strstr(text, "\"dmarc.") == NULL);
		} else {
			char q[80];
			snprintf(q, sizeof(q), "\"%s\"", t[i].want);
			CHECK(strstr(text, q) != NULL);
			if (t[i].detail)
				CHECK(strstr(text, t[i].detail) != NULL);
			if (strstr(text, q) == NULL)
				printf("#   no %s in %s\n", t[i].want, text);
		}
		free(text);
	}
}

/* A loopback client's SPF has no verdict: the information finding, never
 * spf.pass or another verdict's finding. */
TEST(spf_not_evaluated_is_no_verdict)
{
	char *text = assessed("{\"tls\": null, \"spf\": {\"domain\": \"sender.test\", \"result\": null,"
			      " \"evaluated\": false, \"explanation\": \"not evaluated: the client 127.0.0.1 "
			      "is a loopback address\"}}");
	CHECK(strstr(text, "\"spf.not_evaluated\"") != NULL);
	CHECK(strstr(text, "\"spf.pass\"") == NULL);
	CHECK(strstr(text, "\"spf.neutral_or_none\"") == NULL);
	CHECK(strstr(text, "is a loopback address") != NULL);
	free(text);
}

int main(void)
{
	RUN(each_header_finding_when_due);
	RUN(arc_and_upstream_results_are_information);
	RUN(dmarc_findings_of_the_from_domain);
	RUN(spf_not_evaluated_is_no_verdict);
	return harness_done();
}
