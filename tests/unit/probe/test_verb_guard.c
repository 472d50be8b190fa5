/*
 * test_verb_guard.c - DESIGN.md hard rule 1, proved against a live server:
 * a full probe of a loopback SMTP server (STARTTLS with a self-signed
 * certificate made in-process) sends only EHLO, HELO, STARTTLS and QUIT,
 * and records the greeting, EHLO, TLS and certificate facts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "smtp_server.h"
#include "probe_fixture.h"
#include "base/clock.h"
#include "base/log.h"
#include "probe/smtp_client.h"
#include "probe/smtp_probe.h"
#include "probe/tls_probe.h"

/* check_only_allowed_verbs - every command the server saw is whitelisted. */
static void check_only_allowed_verbs(const test_server_t *ts)
{
	static const char *const allowed[] = { "EHLO ", "HELO ", "STARTTLS", "QUIT" };
	static const char *const forbidden[] = { "MAIL", "RCPT", "DATA", "VRFY", "EXPN", "AUTH",
						 "RSET", "NOOP", "BDAT", "ETRN", "TURN" };
	for (int i = 0; i < ts->ncmds; i++) {
		int ok = 0;
		for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
			if (strncmp(ts->cmds[i], allowed[k], strlen(allowed[k])) == 0)
				ok = 1;
		if (!ok) {
			harness_case_failed = 1;
			printf("#   the server received a forbidden command: \"%s\"\n", ts->cmds[i]);
		}
		for (size_t k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++)
			CHECK(strncasecmp(ts->cmds[i], forbidden[k], strlen(forbidden[k])) != 0);
	}
}

/* run_probe - probe the test server at 127.0.0.1 as MX host name. */
static json_t *run_probe(test_server_t *ts, const char *ca, const char *host)
{
	mxray_config_t cfg;
	netaddr_t a;
	char err[256];
	if (fixture_config(&cfg, ts->port, ca, "127.0.0.0/8", "tls_timeout = 5s\n") != 0)
		return NULL;
	netaddr_parse("127.0.0.1", &a);
	SSL_CTX *ctx = tls_probe_ctx_new(cfg.ca_file, err, sizeof(err));
	CHECK(ctx != NULL);
	json_t *j = smtp_probe_address(&cfg, ctx, host, &a, clock_ms() + 20000, NULL);
	SSL_CTX_free(ctx);
	config_free(&cfg);
	return j;
}

TEST(full_dialogue_sends_only_allowed_verbs_and_records_facts)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_NORMAL) == 0);
	long long t0 = clock_ms();
	json_t *j = run_probe(&ts, ts.cert_file, "mx.probe.test");
	long long took = clock_ms() - t0;
	ts_stop(&ts);
	printf("# full STARTTLS probe of a loopback server: %lld ms\n", took);
	CHECK(j != NULL);
	if (j == NULL)
		return;

	check_only_allowed_verbs(&ts);
	CHECK_INT(ts.ncmds, 4);
	CHECK_STR(ts.cmds[0], "EHLO " TEST_HELO);
	CHECK_STR(ts.cmds[1], "STARTTLS");
	CHECK_STR(ts.cmds[2], "EHLO " TEST_HELO);
	CHECK_STR(ts.cmds[3], "QUIT");
	CHECK_INT(ts.tls_done, 1);

	CHECK_STR(jstr(j, "state"), "tested");
	CHECK(json_is_null(json_object_get(j, "reason")));
	CHECK_STR(jstr(j, "ip"), "127.0.0.1");
	CHECK_STR(jstr(j, "family"), "ipv4");
	CHECK(json_is_integer(json_object_get(j, "connect_ms")));
	CHECK(json_is_integer(json_object_get(j, "greeting_ms")));
	CHECK_STR(jstr(j, "greeting"), "220-mx.probe.test ESMTP test server\n220 second line");
	json_t *ehlo = json_object_get(j, "ehlo");
	CHECK_INT(json_array_size(ehlo), 3);
	CHECK(jarray_has(ehlo, "STARTTLS"));
	CHECK(jarray_has(ehlo, "PIPELINING"));
	json_t *ehlo2 = json_object_get(j, "ehlo_after_tls");
	CHECK_INT(json_array_size(ehlo2), 2);
	CHECK(!jarray_has(ehlo2, "STARTTLS"));
	CHECK_STR(jstr(j, "starttls"), "ok");

	json_t *tls = json_object_get(j, "tls");
	CHECK_STR(jstr(tls, "version"), "TLSv1.3");
	CHECK(jstr(tls, "cipher") && strncmp(jstr(tls, "cipher"), "TLS_AES_", 8) == 0);
	CHECK(jstr(tls, "cipher_code") && strncmp(jstr(tls, "cipher_code"), "0x130", 5) == 0);
	CHECK(jstr(tls, "group") != NULL);
	CHECK(json_is_true(json_object_get(tls, "verified")));
	CHECK(json_is_null(json_object_get(tls, "verify_error")));
	CHECK(json_is_true(json_object_get(tls, "name_match")));
	json_t *chain = json_object_get(tls, "chain");
	CHECK_INT(json_array_size(chain), 1);
	json_t *leaf = json_array_get(chain, 0);
	CHECK_STR(jstr(leaf, "subject"), "CN=mx.probe.test");
	CHECK_STR(jstr(leaf, "issuer"), "CN=mx.probe.test");
	CHECK(jarray_has(json_object_get(leaf, "sans"), "mx.probe.test"));
	CHECK_STR(jstr(leaf, "key"), "RSA 2048");
	CHECK_STR(jstr(leaf, "signature"), "sha256WithRSAEncryption");
	json_int_t days = json_integer_value(json_object_get(leaf, "days_left"));
	CHECK(days == 29 || days == 30);
	CHECK(jstr(leaf, "not_after") && strlen(jstr(leaf, "not_after")) == 20);

	json_t *tr = json_object_get(j, "transcript");
	CHECK_STR(jstr(json_array_get(tr, 0), "dir"), "S");
	CHECK_STR(jstr(json_array_get(tr, 0), "line"), "220-mx.probe.test ESMTP test server");
	CHECK_STR(jstr(json_array_get(tr, 2), "dir"), "C");
	CHECK_STR(jstr(json_array_get(tr, 2), "line"), "EHLO " TEST_HELO);
	/* The last line is the server's answer to QUIT. */
	CHECK_STR(jstr(json_array_get(tr, json_array_size(tr) - 1), "line"), "221 2.0.0 bye");
	json_decref(j);
}

TEST(untrusted_certificate_still_measured_with_reason)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_NORMAL) == 0);
	json_t *j = run_probe(&ts, "/etc/ssl/certs/ca-certificates.crt", "other.example");
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	check_only_allowed_verbs(&ts);
	CHECK_INT(ts.tls_done, 1);
	CHECK_STR(jstr(j, "state"), "tested");
	CHECK_STR(jstr(j, "starttls"), "ok");
	json_t *tls = json_object_get(j, "tls");
	CHECK(json_is_false(json_object_get(tls, "verified")));
	CHECK_STR(jstr(tls, "verify_error"), "self-signed certificate");
	CHECK(json_is_false(json_object_get(tls, "name_match")));
	json_decref(j);
}

TEST(ehlo_rejected_falls_back_to_helo)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_EHLO_REJECT) == 0);
	json_t *j = run_probe(&ts, ts.cert_file, "mx.probe.test");
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	check_only_allowed_verbs(&ts);
	CHECK_INT(ts.ncmds, 3);
	CHECK_STR(ts.cmds[0], "EHLO " TEST_HELO);
	CHECK_STR(ts.cmds[1], "HELO " TEST_HELO);
	CHECK_STR(ts.cmds[2], "QUIT");
	CHECK_STR(jstr(j, "state"), "tested");
	CHECK(json_is_true(json_object_get(j, "helo_fallback")));
	CHECK_STR(jstr(j, "starttls"), "not_offered");
	CHECK(json_is_null(json_object_get(j, "tls")));
	json_decref(j);
}

TEST(no_starttls_is_tested_not_offered)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_NO_STARTTLS) == 0);
	json_t *j = run_probe(&ts, ts.cert_file, "mx.probe.test");
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	check_only_allowed_verbs(&ts);
	CHECK_INT(ts.ncmds, 2);
	CHECK_STR(ts.cmds[1], "QUIT");
	CHECK_INT(ts.tls_done, 0);
	CHECK_STR(jstr(j, "state"), "tested");
	CHECK_STR(jstr(j, "starttls"), "not_offered");
	CHECK(!jarray_has(json_object_get(j, "ehlo"), "STARTTLS"));
	json_decref(j);
}

/* The TLS scan's connections: EHLO and STARTTLS pipelined in one write
 * (RFC 2920), both replies read, the socket handed over after the 220;
 * still only allowed verbs, in that order. */
TEST(pipelined_ehlo_and_starttls_for_the_scan)
{
	test_server_t ts;
	mxray_config_t cfg;
	netaddr_t a;
	char err[256] = "";
	CHECK(ts_start(&ts, TS_NORMAL) == 0);
	CHECK(fixture_config(&cfg, ts.port, ts.cert_file, "127.0.0.0/8", "") == 0);
	netaddr_parse("127.0.0.1", &a);
	smtp_client_opts_t o = smtp_client_opts_for(&cfg, "mx.probe.test", &a, clock_ms() + 20000);
	smtp_fail_t fail;
	smtp_client_t *c = smtp_client_open(&o, &fail, err, sizeof(err));
	CHECK(c != NULL);
	smtp_reply_t greeting, ehlo, st;
	smtp_reply_init(&greeting);
	smtp_reply_init(&ehlo);
	smtp_reply_init(&st);
	int fd = -1;
	CHECK_INT(smtp_client_greeting(c, &greeting, err, sizeof(err)), 0);
	CHECK_INT(smtp_client_ehlo_starttls_raw(c, &ehlo, &st, &fd, err, sizeof(err)), 0);
	CHECK_INT(ehlo.code, 250);
	CHECK_INT(st.code, 220);
	CHECK(fd >= 0);
	CHECK_INT(smtp_client_state(c), SMTP_STATE_QUIT);
	smtp_client_close(c);
	smtp_reply_clear(&greeting);
	smtp_reply_clear(&ehlo);
	smtp_reply_clear(&st);
	ts_stop(&ts);
	config_free(&cfg);
	check_only_allowed_verbs(&ts);
	CHECK(ts.ncmds >= 2);
	CHECK_STR(ts.cmds[0], "EHLO " TEST_HELO);
	CHECK_STR(ts.cmds[1], "STARTTLS");
}

int main(void)
{
	log_init("test_verb_guard", LOG_DEST_STDERR, 0);
	RUN(full_dialogue_sends_only_allowed_verbs_and_records_facts);
	RUN(untrusted_certificate_still_measured_with_reason);
	RUN(ehlo_rejected_falls_back_to_helo);
	RUN(no_starttls_is_tested_not_offered);
	RUN(pipelined_ehlo_and_starttls_for_the_scan);
	return harness_done();
}
