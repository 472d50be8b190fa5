/*
 * test_base.c - the general layer: printable text, HTML escaping, INI,
 * durations, tokens, and which addresses count as public.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/clock.h"
#include "base/ini.h"
#include "base/netaddr.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "base/token.h"

TEST(printable_escapes_control_and_8bit)
{
	char *p = text_printable("a\r\n\x01\xff\\b", 7, 100);
	CHECK_STR(p, "a\\x0d\\x0a\\x01\\xff\\x5cb");
	free(p);
}

TEST(printable_bounds_long_input)
{
	size_t n = 1 << 20;
	char *big = malloc(n);
	memset(big, 'A', n);
	char *p = text_printable(big, n, 100);
	CHECK(strlen(p) <= 100);
	CHECK(strcmp(p + strlen(p) - 3, "...") == 0);
	free(p);
	free(big);
}

TEST(html_escaping_makes_markup_inert)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_append_html(&sb, "<script>alert('x')</script> & \"q\"");
	CHECK_STR(sb.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	strbuf_free(&sb);
}

TEST(host_names_are_plain_ldh)
{
	static const struct {
		const char *name;
		int min_labels, wildcard, ok;
	} cases[] = {
		{ "sender.test", 2, 0, 1 },
		{ "mx-1.a.b.sender.test", 2, 0, 1 },
		{ "localhost", 2, 0, 0 },		/* one label, two wanted */
		{ "localhost", 1, 0, 1 },
		{ "*.sender.test", 2, 1, 1 },
		{ "*.sender.test", 2, 0, 0 },		/* no wildcard here */
		{ "a.*.test", 2, 1, 0 },
		{ "-a.test", 2, 0, 0 },
		{ "a-.test", 2, 0, 0 },
		{ "a..test", 2, 0, 0 },
		{ ".a.test", 2, 0, 0 },
		{ "a.test.", 2, 0, 0 },
		{ "under_score.test", 2, 0, 0 },
		{ "x.test\r\nQUIT", 2, 0, 0 },
		{ "<b>.test", 2, 0, 0 },
		{ "", 1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (text_host_name_ok(cases[i].name, cases[i].min_labels, cases[i].wildcard) != cases[i].ok) {
			printf("#   %s: want %d\n", cases[i].name, cases[i].ok);
			CHECK(0);
		}
	char label64[80], long_name[300];
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".test");
	CHECK(text_host_name_ok(label64, 2, 0) == 0);
	CHECK(text_host_name_ok(label64 + 1, 2, 0) == 1);	/* 63 is fine */
	for (size_t i = 0; i < 254; i += 2)
		memcpy(long_name + i, "a.", 2);
	strcpy(long_name + 252, "ab");				/* 254 bytes */
	CHECK(text_host_name_ok(long_name, 2, 0) == 0);
	CHECK(text_host_name_ok(long_name + 1, 2, 0) == 0);	/* starts with "." */
	CHECK(text_host_name_ok(long_name + 2, 2, 0) == 1);	/* 252 bytes */
	CHECK(text_host_name_ok(NULL, 1, 0) == 0);
}

TEST(strbuf_grows_and_formats)
{
	strbuf_t sb = STRBUF_INIT;
	for (int i = 0; i < 1000; i++)
		strbuf_printf(&sb, "%d,", i);
	CHECK(sb.len > 3000);
	CHECK(strncmp(sb.data, "0,1,2,", 6) == 0);
	char *d = strbuf_detach(&sb);
	CHECK(sb.data == NULL);
	free(d);
}

TEST(durations)
{
	static const struct { const char *text; long long ms; int ok; } cases[] = {
		{ "500ms", 500, 0 }, { "10s", 10000, 0 }, { "5m", 300000, 0 },
		{ "72h", 259200000LL, 0 }, { "2d", 172800000LL, 0 }, { "30", 30000, 0 },
		{ "", 0, -1 }, { "-5s", 0, -1 }, { "10x", 0, -1 }, { "s", 0, -1 },
		{ "99999999999999999999h", 0, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long ms = 0;
		int rc = duration_parse_ms(cases[i].text, &ms);
		CHECK_INT(rc, cases[i].ok);
		if (rc == 0)
			CHECK_INT(ms, cases[i].ms);
	}
}

TEST(tokens_are_unique_and_shaped)
{
	char a[TOKEN_BUFSIZE], b[TOKEN_BUFSIZE];
	CHECK_INT(token_new(a), 0);
	CHECK_INT(token_new(b), 0);
	CHECK_INT(strlen(a), TOKEN_CHARS);
	CHECK(strcmp(a, b) != 0);
	CHECK(token_valid(a));
	CHECK(!token_valid("short"));
	CHECK(!token_valid("../../../../etc/passwd/xxxxxxxxxxxxxxxxx"));
	char bad[TOKEN_BUFSIZE];
	memcpy(bad, a, sizeof(bad));
	bad[5] = '/';
	CHECK(!token_valid(bad));
}

static int ini_collect(void *arg, const char *section, const char *key, const char *value,
		       char *err, size_t errlen)
{
	strbuf_t *sb = arg;
	if (strcmp(key, "reject") == 0) {
		snprintf(err, errlen, "no thanks");
		return -1;
	}
	strbuf_printf(sb, "%s.%s=%s;", section, key, value);
	return 0;
}

TEST(ini_reads_sections_and_reports_lines)
{
	static const struct { const char *text; const char *want; const char *err_has; } cases[] = {
		{ "# c\n[a]\nk = v w \n; c\n[b]\nx=1\n", "a.k=v w;b.x=1;", NULL },
		{ "k = v\n", NULL, ":1: key \"k\" outside any [section]" },
		{ "[a]\nnovalue\n", NULL, ":2: expected" },
		{ "[a\n", NULL, ":1: malformed section" },
		{ "[a]\nreject = 1\n", NULL, ":2: [a] reject: no thanks" },
		{ "[a]\nbad key = 1\n", NULL, "bad key name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_t sb = STRBUF_INIT;
		char err[256] = "";
		strbuf_reset(&sb);
		int rc = ini_parse_string(cases[i].text, "t", ini_collect, &sb, err, sizeof(err));
		if (cases[i].want) {
			CHECK_INT(rc, 0);
			CHECK_STR(sb.data, cases[i].want);
		} else {
			CHECK_INT(rc, -1);
			CHECK(strstr(err, cases[i].err_has) != NULL);
			if (strstr(err, cases[i].err_has) == NULL)
				printf("#   got error: %s\n", err);
		}
		strbuf_free(&sb);
	}
}

TEST(ini_rejects_overlong_line)
{
	char *text = malloc(INI_LINE_MAX + 20);
	strcpy(text, "[a]\nk = ");
	memset(text + 8, 'x', INI_LINE_MAX + 5);
	text[INI_LINE_MAX + 13] = '\0';
	char err[256];
	strbuf_t sb = STRBUF_INIT;
	CHECK_INT(ini_parse_string(text, "t", ini_collect, &sb, err, sizeof(err)), -1);
	CHECK(strstr(err, "longer than") != NULL);
	strbuf_free(&sb);
	free(text);
}

TEST(special_addresses_are_named)
{
	static const struct { const char *ip; const char *reason_has; } cases[] = {
		{ "8.8.8.8", NULL }, { "2a00:1450::1", NULL }, { "1.1.1.1", NULL },
		{ "127.0.0.1", "loopback" }, { "10.1.2.3", "private" }, { "172.31.0.1", "private" },
		{ "172.32.0.1", NULL }, { "192.168.1.1", "private" }, { "100.64.0.1", "carrier-grade" },
		{ "169.254.1.1", "link-local" }, { "224.0.0.1", "multicast" },
		{ "192.0.2.1", "documentation" }, { "255.255.255.255", "reserved" },
		{ "0.0.0.0", "this network" }, { "::1", "loopback" }, { "::", "unspecified" },
		{ "fe80::1", "link-local" }, { "fd00::1", "unique local" }, { "ff02::1", "multicast" },
		{ "::ffff:8.8.8.8", "IPv4-mapped" }, { "64:ff9b::808:808", "NAT64" },
		{ "2001:db8::1", "documentation" }, { "3fff::1", "documentation" },
		{ "4000::1", "global unicast" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		netaddr_t a;
		CHECK_INT(netaddr_parse(cases[i].ip, &a), 0);
		const char *r = netaddr_special_reason(&a);
		if (cases[i].reason_has == NULL) {
			if (r != NULL)
				printf("#   %s: unexpected reason %s\n", cases[i].ip, r);
			CHECK(r == NULL);
		} else {
			if (r == NULL || strstr(r, cases[i].reason_has) == NULL)
				printf("#   %s: reason %s, want %s\n", cases[i].ip, r ? r : "(none)",
				       cases[i].reason_has);
			CHECK(r != NULL && strstr(r, cases[i].reason_has) != NULL);
		}
	}
}

TEST(special_ranges_list_what_special_reason_refuses)
{
	/* The DNS resolver refuses name servers in exactly these ranges: each
	 * one's first and last address is refused by netaddr_special_reason,
	 * and public addresses fall in none. */
	netrange_t r;
	const char *why = NULL;
	size_t n = 0;
	for (size_t i = 0; netaddr_special_range(i, &r, &why) == 0; i++, n++) {
		netaddr_t last = r.base;
		int max = r.base.family == AF_INET ? 32 : 128;
		for (int b = r.prefix; b < max; b++)
			last.bytes[b / 8] |= (unsigned char)(0x80u >> (b % 8));
		CHECK(why != NULL && why[0] != '\0');
		CHECK(netaddr_special_reason(&r.base) != NULL);
		CHECK(netaddr_special_reason(&last) != NULL);
	}
	CHECK(n >= 30);
	static const char *const public_addrs[] = { "8.8.8.8", "193.0.14.129", "2001:4860::8888",
						    "2a00:1450::1", "1.1.1.1" };
	for (size_t k = 0; k < sizeof(public_addrs) / sizeof(public_addrs[0]); k++) {
		netaddr_t a;
		CHECK_INT(netaddr_parse(public_addrs[k], &a), 0);
		for (size_t i = 0; netaddr_special_range(i, &r, NULL) == 0; i++)
			if (netrange_contains(&r, &a)) {
				printf("#   %s is inside refused range %zu\n", public_addrs[k], i);
				CHECK(0);
			}
	}
	/* Past the end: -1. */
	CHECK_INT(netaddr_special_range(n, &r, NULL), -1);
}

TEST(cidr_lists)
{
	netrange_list_t l;
	char err[128];
	CHECK_INT(netrange_list_parse("127.77.0.0/16, fd00::/8 10.0.0.1", &l, err, sizeof(err)), 0);
	CHECK_INT(l.count, 3);
	netaddr_t a;
	netaddr_parse("127.77.1.4", &a);
	CHECK(netrange_list_contains(&l, &a));
	netaddr_parse("127.78.0.1", &a);
	CHECK(!netrange_list_contains(&l, &a));
	netaddr_parse("10.0.0.1", &a);
	CHECK(netrange_list_contains(&l, &a));
	netaddr_parse("10.0.0.2", &a);
	CHECK(!netrange_list_contains(&l, &a));
	netaddr_parse("fd12::1", &a);
	CHECK(netrange_list_contains(&l, &a));
	netrange_list_free(&l);
	CHECK_INT(netrange_list_parse("10.0.0.0/33", &l, err, sizeof(err)), -1);
	CHECK_INT(netrange_list_parse("example.com", &l, err, sizeof(err)), -1);
	CHECK(strstr(err, "example.com") != NULL);
}

int main(void)
{
	RUN(printable_escapes_control_and_8bit);
	RUN(printable_bounds_long_input);
	RUN(html_escaping_makes_markup_inert);
	RUN(host_names_are_plain_ldh);
	RUN(strbuf_grows_and_formats);
	RUN(durations);
	RUN(tokens_are_unique_and_shaped);
	RUN(ini_reads_sections_and_reports_lines);
	RUN(ini_rejects_overlong_line);
	RUN(special_addresses_are_named);
	RUN(special_ranges_list_what_special_reason_refuses);
	RUN(cidr_lists);
	return harness_done();
}
