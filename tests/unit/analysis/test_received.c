/*
 * test_received.c - Received fields of each MTA family (Postfix, Exim,
 * Sendmail, Exchange/Microsoft 365, Gmail, qmail), as those MTAs write
 * them, into hops: from name and IP, HELO, by, with, TLS version and
 * cipher, id, for, date; the path's delays, clock skew, plaintext hops;
 * garbage kept raw and marked unparsed, never dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "analysis/received.h"

typedef struct rcase {
	const char *mta, *raw;
	const char *from_name, *from_ip, *helo, *by, *with, *tls_version, *tls_cipher, *id, *rcpt;
	int tls;		/* 1 true, 0 false, -1 null */
	const char *time;
} rcase_t;

static const rcase_t cases[] = {
	{ "postfix",
	  "from mail.example.com (mail.example.com [192.0.2.1]) (using TLSv1.3 with cipher "
	  "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS "
	  "(2048 bits) server-digest SHA256) (No client certificate requested) by mx.example.net "
	  "(Postfix) with ESMTPS id 4Ck1Yx3Xz9z9sRk for <bob@example.net>; Sun, 22 Nov 2026 "
	  "10:00:00 +0000 (UTC)",
	  "mail.example.com", "192.0.2.1", NULL, "mx.example.net", "ESMTPS", "TLSv1.3",
	  "TLS_AES_256_GCM_SHA384", "4Ck1Yx3Xz9z9sRk", "bob@example.net", 1, "2026-11-22T10:00:00Z" },
	{ "postfix-plain",
	  "from client.example.org (unknown [198.51.100.7]) by mx.example.net (Postfix) with "
	  "ESMTP id 7A1B2C3D4E for <bob@example.net>; Sun, 22 Nov 2026 11:00:05 +0100 (CET)",
	  "client.example.org", "198.51.100.7", NULL, "mx.example.net", "ESMTP", NULL, NULL,
	  "7A1B2C3D4E", "bob@example.net", 0, "2026-11-22T10:00:05Z" },
	{ "exim",
	  "from mail.example.com ([192.0.2.1] helo=mail.example.com) by mx.example.net with "
	  "esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from "
	  "<alice@example.com>) id 1tABCD-000123-4X for bob@example.net; Sun, 22 Nov 2026 "
	  "10:00:00 +0000",
	  "mail.example.com", "192.0.2.1", "mail.example.com", "mx.example.net", "esmtps",
	  "TLSv1.3", "TLS_AES_256_GCM_SHA384", "1tABCD-000123-4X", "bob@example.net", 1,
	  "2026-11-22T10:00:00Z" },
	{ "exim-v6",
	  "from [2001:db8::25] (port=41234 helo=[IPv6:2001:db8::25]) by mx.example.net with "
	  "esmtp (Exim 4.94.2) (envelope-from <a@example.com>) id 1tXYZ-0001-AB; Sun, 22 Nov "
	  "2026 10:00:00 -0500",
	  "[2001:db8::25]", "2001:db8::25", "[IPv6:2001:db8::25]", "mx.example.net", "esmtp",
	  NULL, NULL, "1tXYZ-0001-AB", NULL, 0, "2026-11-22T15:00:00Z" },
	{ "sendmail",
	  "from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.net "
	  "(8.15.2/8.15.2/Debian-22) with ESMTPS id 2AMA00a1012345 (version=TLSv1.3 "
	  "cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <bob@example.net>; Sun, 22 "
	  "Nov 2026 10:00:00 GMT",
	  "mail.example.com", "192.0.2.1", NULL, "mx.example.net", "ESMTPS", "TLSv1.3",
	  "TLS_AES_256_GCM_SHA384", "2AMA00a1012345", "bob@example.net", 1, "2026-11-22T10:00:00Z" },
	{ "exchange",
	  "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:1::12) by "
	  "AM0PR01MB5678.eurprd01.prod.exchangelabs.com (2603:10a6:208:2::34) with Microsoft "
	  "SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id "
	  "15.20.1234.5; Sun, 22 Nov 2026 10:00:00 +0000",
	  "AM0PR01MB1234.eurprd01.prod.exchangelabs.com", "2603:10a6:208:1::12", NULL,
	  "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", "Microsoft SMTP Server", "TLSv1.2",
	  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "15.20.1234.5", NULL, 1, "2026-11-22T10:00:00Z" },
	{ "exchange-internal",
	  "from AM0PR01MB5678.eurprd01.prod.exchangelabs.com ([fe80::1234:5678:9abc:def0]) by "
	  "AM0PR01MB5678.eurprd01.prod.exchangelabs.com ([fe80::1234:5678:9abc:def0%5]) with "
	  "mapi id 15.20.1234.5; Sun, 22 Nov 2026 10:00:00 +0000",
	  "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", "fe80::1234:5678:9abc:def0", NULL,
	  "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", "mapi", NULL, NULL, "15.20.1234.5", NULL,
	  -1, "2026-11-22T10:00:00Z" },
	{ "gmail",
	  "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by "
	  "mx.google.com with SMTPS id a1sor123456lfb.12.2026.11.22.02.00.00 for "
	  "<bob@gmail.com> (Google Transport Security); Sun, 22 Nov 2026 02:00:00 -0800 (PST)",
	  "mail-sor-f41.google.com", "209.85.220.41", NULL, "mx.google.com", "SMTPS", NULL, NULL,
	  "a1sor123456lfb.12.2026.11.22.02.00.00", "bob@gmail.com", 1, "2026-11-22T10:00:00Z" },
	{ "gmail-internal",
	  "by 2002:a05:6a10:1234:b0:4ab:cdef:1234 with SMTP id abc123csp1234567pxb; Sun, 22 Nov "
	  "2026 02:00:01 -0800 (PST)",
	  NULL, NULL, NULL, "2002:a05:6a10:1234:b0:4ab:cdef:1234", "SMTP", NULL, NULL,
	  "abc123csp1234567pxb", NULL, 0, "2026-11-22T10:00:01Z" },
	{ "qmail",
	  "from unknown (HELO mail.example.com) (192.0.2.1) by mx.example.net with SMTP; 22 Nov "
	  "2026 10:00:00 -0000",
	  "unknown", "192.0.2.1", "mail.example.com", "mx.example.net", "SMTP", NULL, NULL, NULL,
	  NULL, 0, "2026-11-22T10:00:00Z" },
	{ "qmail-local",
	  "(qmail 12345 invoked by uid 89); 22 Nov 2026 10:00:00 -0000",
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, "2026-11-22T10:00:00Z" },
};

static void check_field(const json_t *o, const char *key, const char *want, const char *mta)
{
	const char *got = json_string_value(json_object_get(o, key));
	if (want == NULL) {
		if (got != NULL)
			printf("#   %s: %s = \"%s\", want null\n", mta, key, got);
		CHECK(got == NULL);
	} else {
		if (got == NULL || strcmp(got, want) != 0)
			printf("#   %s: %s\n", mta, key);
		CHECK_STR(got, want);
	}
}

TEST(every_mta_family_parses)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const rcase_t *c = &cases[i];
		json_t *o = received_parse(c->raw);
		CHECK_STR(json_string_value(json_object_get(o, "raw")), c->raw);
		if (!json_is_true(json_object_get(o, "parsed")))
			printf("#   %s: not parsed\n", c->mta);
		CHECK(json_is_true(json_object_get(o, "parsed")));
		check_field(o, "from_name", c->from_name, c->mta);
		check_field(o, "from_ip", c->from_ip, c->mta);
		check_field(o, "from_helo", c->helo, c->mta);
		check_field(o, "by", c->by, c->mta);
		check_field(o, "with", c->with, c->mta);
		check_field(o, "tls_version", c->tls_version, c->mta);
		check_field(o, "tls_cipher", c->tls_cipher, c->mta);
		check_field(o, "id", c->id, c->mta);
		check_field(o, "for", c->rcpt, c->mta);
		check_field(o, "time", c->time, c->mta);
		json_t *tls = json_object_get(o, "tls");
		int got = json_is_true(tls) ? 1 : json_is_false(tls) ? 0 : -1;
		if (got != c->tls)
			printf("#   %s: tls\n", c->mta);
		CHECK_INT(got, c->tls);
		json_decref(o);
	}
}

TEST(garbage_is_kept_raw_and_unparsed)
{
	static const char *bad[] = { "", "garbage \x01\x7f here", ";;;", "((((((", "from", };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = received_parse(bad[i]);
		CHECK(json_string_value(json_object_get(o, "raw")) != NULL);
		json_decref(o);
	}
	json_t *o = received_parse("garbage \x01 here; not a date");
	CHECK(json_is_false(json_object_get(o, "parsed")));
	CHECK(json_is_null(json_object_get(o, "time")));
	const char *raw = json_string_value(json_object_get(o, "raw"));
	for (const char *p = raw; p && *p; p++)
		CHECK((unsigned char)*p >= 0x20);
	json_decref(o);
}

TEST(dates_in_their_many_forms)
{
	CHECK_INT(received_date("Sun, 22 Nov 2026 10:00:00 +0000"), 1795341600);
	CHECK_INT(received_date("22 Nov 2026 10:00:00 -0000"), 1795341600);
	CHECK_INT(received_date("Sun, 22 Nov 2026 11:00 +0100 (CET)"), 1795341600);
	CHECK_INT(received_date("  Sun,  22 Nov 26 05:00:00 EST"), 1795341600);
	CHECK_INT(received_date("Sun, 32 Nov 2026 10:00:00 +0000"), -1);
	CHECK_INT(received_date("Sun, 22 Foo 2026 10:00:00 +0000"), -1);
	CHECK_INT(received_date("yesterday"), -1);
}

static const char *finding_of(const json_t *hop)
{
	json_t *f = json_array_get(json_object_get(hop, "findings"), 0);
	return json_string_value(json_object_get(f, "id"));
}

TEST(path_delays_skew_and_plaintext)
{
	char *path[] = {
		/* newest first, as in the message */
		"from mx.example.net (mx.example.net [203.0.113.5]) by mx.mxray.test (Postfix) with "
		"ESMTPS id AAA; Sun, 22 Nov 2026 10:00:30 +0000",
		"from client.example.org (unknown [198.51.100.7]) by mx.example.net (Postfix) with "
		"ESMTP id BBB; Sun, 22 Nov 2026 10:00:00 +0000",
		"from localhost (localhost [127.0.0.1]) by client.example.org with ESMTP id CCC; "
		"Sun, 22 Nov 2026 10:20:00 +0000",
		"this is not a received header",
	};
	json_t *a = received_path(path, 4);
	CHECK_INT(json_array_size(a), 4);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a, 0), "delay_s")), 30);
	CHECK(finding_of(json_array_get(a, 0)) == NULL);
	CHECK_STR(finding_of(json_array_get(a, 1)), "message.received.plaintext_hop");
	/* 20 minutes "before" the later hop: a wrong clock */
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a, 1), "delay_s")), -1200);
	json_t *fs = json_object_get(json_array_get(a, 1), "findings");
	CHECK_INT(json_array_size(fs), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(fs, 1), "id")),
		  "message.received.clock_skew");
	/* loopback inside one host: plain SMTP is no finding */
	CHECK(finding_of(json_array_get(a, 2)) == NULL);
	CHECK(json_is_null(json_object_get(json_array_get(a, 2), "delay_s")));
	CHECK_STR(finding_of(json_array_get(a, 3)), "message.received.unparsed");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 3), "raw")),
		  "this is not a received header");
	json_decref(a);
}

int main(void)
{
	RUN(every_mta_family_parses);
	RUN(garbage_is_kept_raw_and_unparsed);
	RUN(dates_in_their_many_forms);
	RUN(path_delays_skew_and_plaintext);
	return harness_done();
}
