/*
 * test_facts.c - address helpers and the job record built from a
 * message's facts: documented fields, hostile text made printable, bounds,
 * the null sender.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "analysis/address.h"
#include "analysis/message_facts.h"
#include "mail/record.h"

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

TEST(address_strip_table)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "<alice@example.org>", "alice@example.org" },
		{ "  <alice@example.org>  ", "alice@example.org" },
		{ "alice@example.org", "alice@example.org" },
		{ "<>", "" },
		{ "", "" },
		{ "<unbalanced@example.org", "<unbalanced@example.org" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = address_strip(cases[i].in);
		CHECK_STR(got, cases[i].want);
		free(got);
	}
	CHECK(address_strip(NULL) == NULL);
}

TEST(address_domain_table)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "alice@Example.ORG", "example.org" },
		{ "\"a@b\"@sender.test", "sender.test" },	/* the last '@' */
		{ "alice@sender.test.", "sender.test" },
		{ "alice@", NULL },
		{ "alice", NULL },
		{ "", NULL },
		{ "alice@exa mple.org", NULL },
		{ "alice@exa\001mple.org", NULL },
		{ "alice@\xc3\xa9.org", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = address_domain(cases[i].in);
		if (cases[i].want == NULL) {
			if (got != NULL)
				printf("#   case %zu: got \"%s\", want NULL\n", i, got);
			CHECK(got == NULL);
		} else {
			CHECK_STR(got, cases[i].want);
		}
		free(got);
	}
}

/* The author domain DMARC is judged for, from hostile and odd From
 * values: nothing inside a display name, quoted string or comment may pose
 * as the address, and a field that breaks the syntax gives no domain. */
TEST(address_author_domain_table)
{
	static const struct { const char *in, *want, *why; } cases[] = {
		{ "Alice <alice@Sender.Test>", "sender.test", NULL },
		{ "\"Doe, Jane\" <jane@example.org>", "example.org", NULL },
		{ "alice@example.org", "example.org", NULL },
		{ "alice@example.org (Alice)", "example.org", NULL },
		{ "<alice@example.org>", "example.org", NULL },
		{ "John Q. Public <john@example.org>", "example.org", NULL },	/* obs-phrase */
		{ "=?utf-8?q?a=40paypal.com?= <m@evil.test>", "evil.test", NULL },
		/* hostile display names and comments */
		{ "\"x <a@paypal.com>\" <m@evil.test>", "evil.test", NULL },
		{ "\"a@paypal.com\" <m@evil.test>", "evil.test", NULL },
		{ "\"q\\\" <a@paypal.com>\" <m@evil.test>", "evil.test", NULL },	/* escaped quote */
		{ "(a@paypal.com) m@evil.test", "evil.test", NULL },
		{ "m@evil.test (<a@paypal.com>)", "evil.test", NULL },
		{ "Al (x (nested <a@paypal.com>) y) <m@evil.test>", "evil.test", NULL },
		{ "\"a@paypal.com\"@evil.test", "evil.test", NULL },	/* quoted local part */
		{ "<@relay.paypal.com:m@evil.test>", "evil.test", NULL },	/* obs-route */
		{ "Friends: m@evil.test;", "evil.test", NULL },	/* a group of one */
		{ "m@evil.test, n@Evil.Test", "evil.test", NULL },	/* several, one domain */
		/* no single author domain */
		{ "a@paypal.com <m@evil.test>", NULL, "'@' in a display name" },
		{ "x <a@paypal.com> <m@evil.test>", NULL, "\"<\" after an address" },
		{ "m@evil.test, a@paypal.com", NULL, "several domains" },
		{ "Friends: a@paypal.com, m@evil.test;", NULL, "several domains" },
		{ "undisclosed-recipients:;", NULL, "no address" },
		{ "Undisclosed", NULL, "\"Undisclosed\" is not an address" },
		{ "Alice <>", NULL, "empty address" },
		{ "Alice <alice@evil.test", NULL, "'>' was expected" },
		{ "\"unterminated <a@paypal.com>", NULL, "quoted string is not closed" },
		{ "Al (open <a@paypal.com>", NULL, "comment is not closed" },
		{ "m@[192.0.2.1]", NULL, "no usable domain" },
		{ "m@evil.test.", NULL, "domain of an address was expected" },
		{ "john smith@evil.test", NULL, "space in the local part" },
		{ "G: H: m@evil.test;;", NULL, "group inside a group" },
		{ "m@evil\001.test", NULL, "control character" },
		{ "<alice@exa mple.org>", NULL, "'>' was expected" },
		{ "", NULL, "no address" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		char *got = address_author_domain(cases[i].in, why, sizeof(why));
		if (cases[i].want == NULL) {
			if (got != NULL || strstr(why, cases[i].why) == NULL)
				printf("#   case %zu %s: got \"%s\" (%s), want NULL (%s)\n", i, cases[i].in,
				       got ? got : "NULL", why, cases[i].why);
			CHECK(got == NULL);
			CHECK(strstr(why, cases[i].why) != NULL);
		} else {
			if (got == NULL || strcmp(got, cases[i].want) != 0)
				printf("#   case %zu %s: %s\n", i, cases[i].in, why);
			CHECK_STR(got, cases[i].want);
		}
		free(got);
	}
}

/* The parser keeps each mailbox as written and counts past what it keeps. */
TEST(address_list_parse_keeps_mailboxes)
{
	address_list_t l;
	CHECK_INT(address_list_parse("Team: \"A B\" <a@x.test>, b@Y.test (Bee);, <c@[192.0.2.1]>", &l), 0);
	CHECK_INT((int)l.count, 3);
	CHECK_STR(l.addr[0], "a@x.test");
	CHECK_STR(l.domain[1], "y.test");
	CHECK_STR(l.addr[2], "c@[192.0.2.1]");
	CHECK(l.domain[2] == NULL);
	CHECK_STR(l.error, "");
	address_list_free(&l);

	char many[2000] = "";
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sm%d@evil.test", i ? "," : "", i);
	CHECK_INT(address_list_parse(many, &l), 0);
	CHECK_INT((int)l.count, 40);
	CHECK_STR(l.addr[ADDRESS_LIST_MAX - 1], "m15@evil.test");
	address_list_free(&l);

	CHECK_INT(address_list_parse("a@x.test, b@y.test <c@z.test>", &l), -1);
	CHECK_INT((int)l.count, 1);	/* the mailbox before the break */
	CHECK(strstr(l.error, "display name") != NULL);
	address_list_free(&l);

	char *huge = malloc(ADDRESS_LIST_TEXT_MAX + 10);
	memset(huge, 'a', ADDRESS_LIST_TEXT_MAX + 9);
	huge[ADDRESS_LIST_TEXT_MAX + 9] = '\0';
	CHECK_INT(address_list_parse(huge, &l), -1);
	CHECK(strstr(l.error, "longer than") != NULL);
	address_list_free(&l);
	free(huge);
}

/* A message as the milter would have collected it. */
static void sample(client_facts_t *c, message_facts_t *m)
{
	client_facts_init(c);
	message_facts_init(m);
	snprintf(c->ip, sizeof(c->ip), "127.77.2.1");
	facts_set(&c->name, "unknown");
	facts_set(&c->ptr, "unknown");
	facts_set(&c->helo, "client.sender.test");
	client_facts_set_tls(c, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "256");
	message_facts_set_mail_from(m, "<alice@sender.test>");
	message_facts_add_rcpt(m, "test@mxray.test");
	message_facts_header(m, "Received", " from a by b;\r\n\tSat, 22 Nov 2026 08:00:00 +0000");
	message_facts_header(m, "FROM", " Alice <alice@sender.test>");
	message_facts_header(m, "From", "Second <second@other.test>");
	message_facts_header(m, "Message-Id", "<abc@sender.test>");
	message_facts_header(m, "Date", "Sat, 22 Nov 2026 08:00:00 +0000");
	message_facts_header(m, "Subject", "not kept");
	m->spf = json_pack("{s:s,s:s}", "domain", "sender.test", "result", "pass");
	m->dkim = json_pack("[{s:s,s:s}]", "domain", "sender.test", "result", "pass");
}

TEST(job_has_the_documented_fields)
{
	client_facts_t c;
	message_facts_t m;
	char err[256] = "";
	sample(&c, &m);
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK(job != NULL);
	if (job == NULL) {
		printf("#   %s\n", err);
		return;
	}
	CHECK_INT(record_check_format(job, JOB_FORMAT, err, sizeof(err)), 0);
	CHECK_STR(jstr(job, "kind"), "mail");
	CHECK_STR(jstr(job, "domain"), "sender.test");
	CHECK_STR(jstr(job, "reply_to"), "alice@sender.test");
	const char *queued = jstr(job, "queued");
	CHECK(queued != NULL && strlen(queued) == 20 && queued[19] == 'Z');
	json_t *msg = json_object_get(job, "message");
	CHECK(json_is_object(msg));
	CHECK_STR(jstr(msg, "queued"), queued);
	json_t *cl = json_object_get(msg, "client");
	CHECK_STR(jstr(cl, "ip"), "127.77.2.1");
	CHECK_STR(jstr(cl, "family"), "ipv4");
	CHECK_STR(jstr(cl, "name"), "unknown");
	CHECK_STR(jstr(cl, "ptr"), "unknown");
	CHECK_STR(jstr(cl, "helo"), "client.sender.test");
	json_t *tls = json_object_get(msg, "tls");
	CHECK_STR(jstr(tls, "version"), "TLSv1.3");
	CHECK_STR(jstr(tls, "cipher"), "TLS_AES_256_GCM_SHA384");
	CHECK_INT(json_integer_value(json_object_get(tls, "bits")), 256);
	CHECK_STR(jstr(msg, "mail_from"), "alice@sender.test");
	CHECK_INT(json_array_size(json_object_get(msg, "rcpt")), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(msg, "rcpt"), 0)),
		  "test@mxray.test");
	CHECK_STR(jstr(msg, "from"), "Alice <alice@sender.test>");	/* the first From */
	CHECK_STR(jstr(msg, "message_id"), "<abc@sender.test>");
	CHECK_STR(jstr(msg, "date"), "Sat, 22 Nov 2026 08:00:00 +0000");
	CHECK(json_object_get(msg, "subject") == NULL);
	CHECK_STR(jstr(json_object_get(msg, "spf"), "result"), "pass");
	CHECK_STR(jstr(json_array_get(json_object_get(msg, "dkim"), 0), "domain"), "sender.test");
	json_t *rv = json_object_get(msg, "received");
	CHECK_INT(json_array_size(rv), 1);
	CHECK_STR(jstr(json_array_get(rv, 0), "raw"), "from a by b; Sat, 22 Nov 2026 08:00:00 +0000");
	CHECK(json_is_false(json_object_get(msg, "received_truncated")));
	json_decref(job);
	client_facts_clear(&c);
	message_facts_clear(&m);
}

TEST(plaintext_mail_has_null_tls)
{
	client_facts_t c;
	message_facts_t m;
	char err[256];
	sample(&c, &m);
	free(c.tls_version);
	c.tls_version = NULL;
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK(json_is_null(json_object_get(json_object_get(job, "message"), "tls")));
	json_decref(job);
	client_facts_clear(&c);
	message_facts_clear(&m);
}

/* DESIGN rule 4: no reply and no probe for the null sender or for mail the
 * reply policy marks "probe": false: no job at all, the reason in err. The
 * report domain (mxray analyze) is still the From domain. */
TEST(null_sender_and_automatic_mail_get_no_job)
{
	client_facts_t c;
	message_facts_t m;
	char err[256] = "";
	sample(&c, &m);
	message_facts_set_mail_from(&m, "<>");
	CHECK(message_facts_null_sender(&m));
	CHECK(message_job_new(&c, &m, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "null sender") != NULL);
	char *d = message_facts_domain(&m);
	CHECK_STR(d, "sender.test");
	free(d);
	client_facts_clear(&c);
	message_facts_clear(&m);

	sample(&c, &m);
	m.reply_policy = json_pack("{sbsbss}", "reply", 0, "probe", 0, "reason",
				   "Auto-Submitted: auto-replied (RFC 3834: no replies to automatic mail)");
	err[0] = '\0';
	CHECK(message_job_new(&c, &m, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "Auto-Submitted: auto-replied") != NULL);
	/* a reply refused for want of authentication still probes */
	json_decref(m.reply_policy);
	m.reply_policy = json_pack("{sbsbss}", "reply", 0, "probe", 1, "reason", "not authenticated");
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK(job != NULL);
	CHECK(json_is_null(json_object_get(job, "reply_to")));
	json_decref(job);
	client_facts_clear(&c);
	message_facts_clear(&m);
}

/* Any Auto-Submitted or Precedence field that makes the mail automatic
 * wins, wherever it stands; List-Unsubscribe makes mail bulk for the
 * header checks and for the reply policy alike. */
TEST(automatic_fields_win_whatever_their_order)
{
	static const struct { const char *n1, *v1, *n2, *v2, *want_auto, *want_prec; } t[] = {
		{ "Auto-Submitted", "no", "Auto-Submitted", "auto-replied", "auto-replied", NULL },
		{ "Auto-Submitted", "auto-generated", "Auto-Submitted", "no", "auto-generated", NULL },
		{ "Auto-Submitted", "No (comment)", "Auto-Submitted", "no", "No (comment)", NULL },
		{ "Precedence", "first-class", "Precedence", "bulk", NULL, "bulk" },
		{ "Precedence", "junk", "Precedence", "normal", NULL, "junk" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		message_facts_t m;
		message_facts_init(&m);
		message_facts_header(&m, t[i].n1, t[i].v1);
		message_facts_header(&m, t[i].n2, t[i].v2);
		if (t[i].want_auto)
			CHECK_STR(m.auto_submitted, t[i].want_auto);
		if (t[i].want_prec)
			CHECK_STR(m.precedence, t[i].want_prec);
		message_facts_clear(&m);
	}
	CHECK_INT(facts_auto_submitted("no"), 0);
	CHECK_INT(facts_auto_submitted(" NO ;x"), 0);
	CHECK_INT(facts_auto_submitted("auto-notified"), 1);
	CHECK_INT(facts_auto_submitted(""), 1);	/* malformed: automatic */
	CHECK_INT(facts_auto_submitted(NULL), 0);
	CHECK_INT(facts_precedence_bulk("List"), 1);
	CHECK_INT(facts_precedence_bulk("bulky"), 0);

	message_facts_t m;
	message_facts_init(&m);
	message_facts_header(&m, "List-Unsubscribe", "<mailto:u@sender.test>");
	char why[100];
	CHECK_INT(message_facts_list_mail(&m, why, sizeof(why)), 1);
	CHECK(strstr(why, "List-Unsubscribe") != NULL);
	client_facts_t c;
	client_facts_init(&c);
	json_t *o = message_facts_json(&c, &m, NULL);
	CHECK(json_is_true(json_object_get(json_object_get(o, "headers"), "bulk")));
	json_decref(o);
	message_facts_clear(&m);
}

TEST(envelope_domain_is_lowercased_and_preferred_over_from)
{
	client_facts_t c;
	message_facts_t m;
	char err[256];
	sample(&c, &m);
	message_facts_set_mail_from(&m, "<Bounce@Mail.Other.TEST>");
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK_STR(jstr(job, "domain"), "mail.other.test");
	CHECK_STR(jstr(job, "reply_to"), "Bounce@Mail.Other.TEST");
	json_decref(job);
	client_facts_clear(&c);
	message_facts_clear(&m);
}

TEST(hostile_text_becomes_printable)
{
	client_facts_t c;
	message_facts_t m;
	char err[256];
	sample(&c, &m);
	facts_set(&c.helo, "evil\x1b[31m\xff");
	message_facts_clear(&m);
	message_facts_set_mail_from(&m, "<a@sender.test>");
	message_facts_header(&m, "From", "<script>\x01\"q\" \\ <a@sender.test>");
	message_facts_header(&m, "Message-ID", "\xc3\xa9\x7f");
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	json_t *msg = json_object_get(job, "message");
	CHECK_STR(jstr(json_object_get(msg, "client"), "helo"), "evil\\x1b[31m\\xff");
	CHECK_STR(jstr(msg, "from"), "<script>\\x01\"q\" \\x5c <a@sender.test>");
	CHECK_STR(jstr(msg, "message_id"), "\\xc3\\xa9\\x7f");
	/* And the whole record serialises as ASCII JSON. */
	char *text = json_dumps(job, JSON_COMPACT);
	CHECK(text != NULL);
	for (const char *p = text; p && *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	free(text);
	json_decref(job);
	client_facts_clear(&c);
	message_facts_clear(&m);
}

TEST(received_headers_are_bounded_in_count_and_size)
{
	message_facts_t m;
	message_facts_init(&m);
	for (int i = 0; i < FACTS_MAX_RECEIVED + 5; i++)
		message_facts_header(&m, "Received", "from x by y");
	CHECK_INT(m.received_count, FACTS_MAX_RECEIVED);
	CHECK(m.received_truncated);
	message_facts_clear(&m);

	char *big = malloc(100000);
	memset(big, 'A', 99999);
	big[99999] = '\0';
	message_facts_init(&m);
	message_facts_header(&m, "Received", big);
	CHECK(m.received_truncated);
	CHECK(strlen(m.received[0]) <= FACTS_TEXT_MAX);
	client_facts_t c;
	client_facts_init(&c);
	json_t *msg = message_facts_json(&c, &m, NULL);
	const char *raw = jstr(json_array_get(json_object_get(msg, "received"), 0), "raw");
	CHECK(raw != NULL && strlen(raw) <= RECORD_TEXT_MAX);
	CHECK(raw != NULL && strcmp(raw + strlen(raw) - 3, "...") == 0);
	json_decref(msg);
	message_facts_clear(&m);
	free(big);

	/* Recipients too. */
	message_facts_init(&m);
	for (int i = 0; i < FACTS_MAX_RCPT + 10; i++)
		message_facts_add_rcpt(&m, "test@mxray.test");
	CHECK_INT(m.rcpt_count, FACTS_MAX_RCPT);
	message_facts_clear(&m);
}

TEST(tls_bits_must_be_a_number)
{
	client_facts_t c;
	client_facts_init(&c);
	client_facts_set_tls(&c, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "128x");
	CHECK_INT(c.tls_bits, -1);
	client_facts_set_tls(&c, NULL, NULL, "128");
	CHECK_INT(c.tls_bits, 128);
	CHECK_STR(c.tls_version, "TLSv1.2");	/* a later NULL keeps what is known */
	client_facts_clear(&c);
}

int main(void)
{
	RUN(address_strip_table);
	RUN(address_domain_table);
	RUN(address_author_domain_table);
	RUN(address_list_parse_keeps_mailboxes);
	RUN(job_has_the_documented_fields);
	RUN(plaintext_mail_has_null_tls);
	RUN(null_sender_and_automatic_mail_get_no_job);
	RUN(automatic_fields_win_whatever_their_order);
	RUN(envelope_domain_is_lowercased_and_preferred_over_from);
	RUN(hostile_text_becomes_printable);
	RUN(received_headers_are_bounded_in_count_and_size);
	RUN(tls_bits_must_be_a_number);
	return harness_done();
}
