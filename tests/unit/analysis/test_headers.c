/*
 * test_headers.c - From/Date/Message-ID basics, one-click unsubscribe,
 * upstream Authentication-Results and ARC sets as real MTAs write them,
 * hostile forms (comments hiding separators, unterminated quotes, floods),
 * and the "headers" object the message's JSON carries (its findings:
 * tests/unit/report/test_header_findings.c).
 */
#include <stdlib.h>
#include "harness.h"
#include "analysis/headers.h"
#include "analysis/message_facts.h"

TEST(mailbox_counts)
{
	static const struct { const char *v; int n; } t[] = {
		{ "alice@example.org", 1 },
		{ "Alice <alice@example.org>", 1 },
		{ "\"Smith, Alice\" <alice@example.org>", 1 },	/* comma in quotes */
		{ "alice@example.org (Alice, the boss)", 1 },	/* comma in a comment */
		{ "alice@example.org, bob@example.org", 2 },
		{ "Team: alice@example.org, bob@example.org;", 2 },	/* a group */
		{ "undisclosed-recipients:;", 0 },
		{ "", 0 },
		{ "\"unterminated@quote, bob@example.org", 0 },	/* the rest is quoted */
		{ "<a@x>, <b@y>, <c@z>", 3 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n = header_mailbox_count(t[i].v);
		CHECK_INT(n, t[i].n);
		if (n != t[i].n)
			printf("#   for %s\n", t[i].v);
	}
}

/* result_of - the result of method m in a parsed field, or NULL. */
static const char *result_of(const json_t *o, const char *m)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "results"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "method")) ?: "", m) == 0)
			return json_string_value(json_object_get(r, "result"));
	return NULL;
}

TEST(authentication_results_of_real_mtas)
{
	/* Gmail */
	json_t *g = auth_results_parse("mx.google.com; dkim=pass header.i=@example.com header.s=s1 "
		"header.b=AbC; spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as "
		"permitted sender; really) smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT sp=REJECT "
		"dis=NONE) header.from=example.com");
	CHECK(json_is_true(json_object_get(g, "parsed")));
	CHECK_STR(json_string_value(json_object_get(g, "authserv_id")), "mx.google.com");
	CHECK_STR(result_of(g, "dkim"), "pass");
	CHECK_STR(result_of(g, "spf"), "pass");	/* the ';' in the comment did not split */
	CHECK_STR(result_of(g, "dmarc"), "pass");
	CHECK_INT(json_array_size(json_object_get(g, "results")), 3);
	json_decref(g);
	/* Microsoft 365: no authserv-id at all */
	json_t *m = auth_results_parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; "
		"dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none "
		"header.from=example.com;compauth=pass reason=100");
	CHECK(json_is_true(json_object_get(m, "parsed")));
	CHECK(json_is_null(json_object_get(m, "authserv_id")));
	CHECK_STR(result_of(m, "compauth"), "pass");
	CHECK_STR(result_of(m, "dmarc"), "pass");
	json_decref(m);
	/* OpenDKIM/OpenDMARC style with a version and method versions */
	json_t *o = auth_results_parse("mail.example.net 1; dkim/1=fail reason=\"bad; sig\" "
		"header.d=example.com; spf=softfail smtp.mailfrom=example.com");
	CHECK_STR(json_string_value(json_object_get(o, "authserv_id")), "mail.example.net");
	CHECK_STR(result_of(o, "dkim"), "fail");
	CHECK_STR(result_of(o, "spf"), "softfail");
	json_decref(o);
	/* "none": nothing checked */
	json_t *n = auth_results_parse("mx.example.org; none");
	CHECK(json_is_true(json_object_get(n, "parsed")));
	CHECK_INT(json_array_size(json_object_get(n, "results")), 0);
	json_decref(n);
}

TEST(authentication_results_hostile)
{
	json_t *o = auth_results_parse("(unterminated comment; spf=pass");
	CHECK(json_is_false(json_object_get(o, "parsed")));
	CHECK_INT(json_array_size(json_object_get(o, "results")), 0);	/* nothing faked */
	CHECK_STR(json_string_value(json_object_get(o, "raw")), "(unterminated comment; spf=pass");
	json_decref(o);
	/* 100 results: bounded */
	char big[4000] = "mx.example.org";
	for (int i = 0; i < 100; i++)
		strcat(big, "; spf=pass");
	o = auth_results_parse(big);
	CHECK_INT(json_array_size(json_object_get(o, "results")), HEADERS_MAX_RESULTS);
	json_decref(o);
	/* bytes outside printable ASCII are escaped in raw */
	o = auth_results_parse("mx.example.org; spf=pass\x1b[31m");
	CHECK(strstr(json_string_value(json_object_get(o, "raw")), "\\x1b") != NULL);
	json_decref(o);
}

TEST(arc_sets_of_gmail)
{
	json_t *seal = arc_parse("ARC-Seal", "i=2; a=rsa-sha256; t=1700000000; cv=pass; "
		"d=google.com; s=arc-20160816; b=QUJD");
	CHECK(json_is_true(json_object_get(seal, "parsed")));
	CHECK_INT(json_integer_value(json_object_get(seal, "instance")), 2);
	CHECK_STR(json_string_value(json_object_get(seal, "cv")), "pass");
	CHECK_STR(json_string_value(json_object_get(seal, "domain")), "google.com");
	json_decref(seal);
	json_t *ams = arc_parse("ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; "
		"d=lists.example.org; s=arc; h=from:to:subject; bh=x; b=y");
	CHECK_STR(json_string_value(json_object_get(ams, "domain")), "lists.example.org");
	CHECK_STR(json_string_value(json_object_get(ams, "selector")), "arc");
	json_decref(ams);
	json_t *aar = arc_parse("ARC-Authentication-Results", "i=1; mx.google.com; "
		"dkim=pass header.i=@example.com; spf=pass smtp.mailfrom=example.com");
	CHECK(json_is_true(json_object_get(aar, "parsed")));
	CHECK_STR(json_string_value(json_object_get(aar, "authserv_id")), "mx.google.com");
	CHECK_STR(result_of(aar, "dkim"), "pass");
	json_decref(aar);
	/* instance out of RFC 8617's 1..50, or missing: not parsed, kept raw */
	json_t *bad = arc_parse("ARC-Seal", "i=51; cv=none; d=x");
	CHECK(json_is_false(json_object_get(bad, "parsed")));
	CHECK(json_is_null(json_object_get(bad, "instance")));
	json_decref(bad);
	bad = arc_parse("ARC-Seal", "cv=none (i=1; fake)");
	CHECK(json_is_false(json_object_get(bad, "parsed")));
	json_decref(bad);
}

/* facts_of - the "headers" object message_facts_json makes of these
 * header fields (name, value, ..., NULL), as compact JSON text. */
static char *facts_of(const char *const *hdr)
{
	client_facts_t c;
	message_facts_t m;
	client_facts_init(&c);
	message_facts_init(&m);
	message_facts_set_mail_from(&m, "<alice@sender.test>");
	for (size_t i = 0; hdr[i]; i += 2)
		message_facts_header(&m, hdr[i], hdr[i + 1]);
	json_t *msg = message_facts_json(&c, &m, NULL);
	char *text = json_dumps(json_object_get(msg, "headers"), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(msg);
	message_facts_clear(&m);
	client_facts_clear(&c);
	return text;
}

TEST(header_basics_as_kept)
{
	static const struct { const char *const hdr[13]; const char *want; } t[] = {
		{ { "From", "Alice <alice@sender.test>", "Date", "Sun, 22 Nov 2026 08:00:00 +0000",
		    "Message-ID", "<1@sender.test>", NULL },
		  "{\"bulk\":false,\"date_count\":1,\"date_valid\":true,\"from_count\":1,"
		  "\"from_mailboxes\":1,\"from_syntax\":null,\"list_unsubscribe\":null,\"list_unsubscribe_post\":null,"
		  "\"message_id_count\":1,\"one_click_unsubscribe\":false}" },
		{ { "From", "a@sender.test", "From", "b@sender.test, c@sender.test", NULL },
		  "{\"bulk\":false,\"date_count\":0,\"date_valid\":null,\"from_count\":2,"
		  "\"from_mailboxes\":1,\"from_syntax\":null,\"list_unsubscribe\":null,\"list_unsubscribe_post\":null,"
		  "\"message_id_count\":0,\"one_click_unsubscribe\":false}" },
		{ { "From", "a@sender.test, b@sender.test", "Date", "yesterday", NULL },
		  "{\"bulk\":false,\"date_count\":1,\"date_valid\":false,\"from_count\":1,"
		  "\"from_mailboxes\":2,\"from_syntax\":null,\"list_unsubscribe\":null,\"list_unsubscribe_post\":null,"
		  "\"message_id_count\":0,\"one_click_unsubscribe\":false}" },
		{ { "From", "n@sender.test", "List-Id", "<news.sender.test>", "List-Unsubscribe",
		    "<https://sender.test/u?1>, <mailto:u@sender.test>", "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click", NULL },
		  "{\"bulk\":true,\"date_count\":0,\"date_valid\":null,\"from_count\":1,"
		  "\"from_mailboxes\":1,\"from_syntax\":null,\"list_unsubscribe\":\"<https://sender.test/u?1>, "
		  "<mailto:u@sender.test>\",\"list_unsubscribe_post\":\"List-Unsubscribe=One-Click\","
		  "\"message_id_count\":0,\"one_click_unsubscribe\":true}" },
		{ { "From", "n@sender.test", "Precedence", "bulk", "List-Unsubscribe",
		    "<mailto:u@sender.test>", NULL },
		  "{\"bulk\":true,\"date_count\":0,\"date_valid\":null,\"from_count\":1,"
		  "\"from_mailboxes\":1,\"from_syntax\":null,\"list_unsubscribe\":\"<mailto:u@sender.test>\","
		  "\"list_unsubscribe_post\":null,\"message_id_count\":0,"
		  "\"one_click_unsubscribe\":false}" },
		/* a display name posing as the address: the syntax error named */
		{ { "From", "a@paypal.com <m@evil.test>", NULL },
		  "{\"bulk\":false,\"date_count\":0,\"date_valid\":null,\"from_count\":1,"
		  "\"from_mailboxes\":0,\"from_syntax\":\"'@' in a display name outside quotes\","
		  "\"list_unsubscribe\":null,\"list_unsubscribe_post\":null,\"message_id_count\":0,"
		  "\"one_click_unsubscribe\":false}" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = facts_of(t[i].hdr);
		CHECK_STR(got, t[i].want);
		free(got);
	}
}

TEST(header_floods_are_bounded)
{
	message_facts_t m;
	message_facts_init(&m);
	for (int i = 0; i < 200; i++) {
		message_facts_header(&m, "Authentication-Results", "mx.example.org; spf=pass");
		message_facts_header(&m, "ARC-Seal", "i=1; cv=none; d=x");
	}
	CHECK_INT(m.auth_results_count, FACTS_MAX_AUTH);
	CHECK_INT(m.arc_count, FACTS_MAX_ARC);
	CHECK_INT(m.auth_truncated, 1);
	message_facts_clear(&m);
}

int main(void)
{
	RUN(mailbox_counts);
	RUN(authentication_results_of_real_mtas);
	RUN(authentication_results_hostile);
	RUN(arc_sets_of_gmail);
	RUN(header_basics_as_kept);
	RUN(header_floods_are_bounded);
	return harness_done();
}
