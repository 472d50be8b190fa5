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

TEST(address_header_domain_table)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "Alice <alice@Sender.Test>", "sender.test" },
		{ "\"Doe, Jane\" <jane@example.org>", "example.org" },
		{ "alice@example.org", "example.org" },
		{ "alice@example.org (Alice)", "example.org" },
		{ "  bob@example.net, carol@example.com", "example.net" },
		{ "Undisclosed", NULL },
		{ "Alice <>", NULL },
		{ "<alice@exa mple.org>", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = address_header_domain(cases[i].in);
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

TEST(null_sender_probes_the_from_domain_and_has_no_reply_to)
{
	client_facts_t c;
	message_facts_t m;
	char err[256];
	sample(&c, &m);
	message_facts_set_mail_from(&m, "<>");
	CHECK(message_facts_null_sender(&m));
	json_t *job = message_job_new(&c, &m, err, sizeof(err));
	CHECK(job != NULL);
	CHECK_STR(jstr(job, "domain"), "sender.test");
	CHECK(json_is_null(json_object_get(job, "reply_to")));
	CHECK_STR(jstr(json_object_get(job, "message"), "mail_from"), "");
	json_decref(job);

	/* Null sender and no usable From: nothing to probe, no job. */
	free(m.from);
	m.from = strdup("Undisclosed recipients");
	err[0] = '\0';
	CHECK(message_job_new(&c, &m, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "null sender") != NULL);
	client_facts_clear(&c);
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
	RUN(address_header_domain_table);
	RUN(job_has_the_documented_fields);
	RUN(plaintext_mail_has_null_tls);
	RUN(null_sender_probes_the_from_domain_and_has_no_reply_to);
	RUN(envelope_domain_is_lowercased_and_preferred_over_from);
	RUN(hostile_text_becomes_printable);
	RUN(received_headers_are_bounded_in_count_and_size);
	RUN(tls_bits_must_be_a_number);
	return harness_done();
}
