/*
 * test_config.c - mxray.conf: the shipped file loads, defaults are the
 * documented ones, mistakes are reported with file and line.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mail/config.h"
#include "mail/record.h"

TEST(shipped_config_loads_with_documented_defaults)
{
	mxray_config_t cfg;
	char err[512] = "";
	int rc = config_load("conf/mxray.conf", &cfg, err, sizeof(err));
	if (rc != 0)
		printf("#   %s\n", err);
	CHECK_INT(rc, 0);
	if (rc != 0)
		return;
	CHECK_STR(cfg.redis_address, "127.0.0.1:6379");
	CHECK_STR(cfg.key_prefix, "mxray:");
	CHECK_STR(cfg.dns_resolver, "recursive");
	CHECK_STR(cfg.dns_trust_anchor, "/usr/share/dns/root.key");
	CHECK_INT(cfg.dns_timeout_ms, 15000);
	CHECK_INT(cfg.report_ttl_ms, 72LL * 3600 * 1000);
	CHECK_INT(cfg.smtp_port, 25);
	CHECK_INT(cfg.max_mx, 10);
	CHECK_INT(cfg.allow_networks.count, 0);
	CHECK_INT(cfg.log_dest, LOG_DEST_SYSLOG);
	CHECK_INT(cfg.max_headers, 1000);
	CHECK_INT(cfg.max_header_bytes, 64 * 1024);
	CHECK_INT(cfg.max_body_bytes, 10 * 1024 * 1024);
	CHECK(cfg.helo_name != NULL && cfg.helo_name[0] != '\0');
	config_free(&cfg);
}

TEST(every_key_of_the_code_is_documented_in_the_shipped_file)
{
	/* Each key line "#key =" in conf/mxray.conf, set for real, must load. */
	FILE *f = fopen("conf/mxray.conf", "r");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	char line[512], section[64] = "", text[1024];
	int keys = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '[') {
			sscanf(line, "[%63[^]]", section);
			continue;
		}
		char key[64];
		if (sscanf(line, "#%63[a-z_] =", key) == 1 && strchr(line, '=')) {
			const char *value = strchr(line, '=') + 1;
			snprintf(text, sizeof(text), "[%s]\n%s =%s", section, key, value);
			mxray_config_t cfg;
			char err[512];
			int rc = config_load_string(text, &cfg, err, sizeof(err));
			if (rc != 0)
				printf("#   [%s] %s: %s\n", section, key, err);
			CHECK_INT(rc, 0);
			if (rc == 0)
				config_free(&cfg);
			keys++;
		}
	}
	fclose(f);
	CHECK(keys >= 24);
}

/* file_text - whole file into a malloc'd string, or NULL. */
static char *file_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	static char buf[1 << 18];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

TEST(every_key_of_the_code_has_its_default_in_conf_and_manual)
{
	char *conf = file_text("conf/mxray.conf");
	char *man = file_text("man/mxray.conf.5");
	CHECK(conf != NULL && man != NULL);
	if (conf == NULL || man == NULL)
		return;
	const char *section, *key, *fallback;
	for (size_t i = 0; config_key_at(i, &section, &key, &fallback) == 0; i++) {
		char want[256];
		/* conf: "[section]" then "#key = default" somewhere after it. */
		snprintf(want, sizeof(want), "[%s]", section);
		const char *sec = strstr(conf, want);
		snprintf(want, sizeof(want), "#%s = %s\n", key, fallback);
		if (fallback[0] == '\0')
			snprintf(want, sizeof(want), "#%s =\n", key);
		if (sec == NULL || strstr(sec, want) == NULL)
			printf("#   conf/mxray.conf lacks [%s] %s", section, want);
		CHECK(sec != NULL && strstr(sec, want) != NULL);
		/* manual: a ".SH [section]" then ".B key". */
		snprintf(want, sizeof(want), ".SH \"[%s]\"", section);
		sec = strstr(man, want);
		snprintf(want, sizeof(want), ".B %s\n", key);
		if (sec == NULL || strstr(sec, want) == NULL)
			printf("#   man/mxray.conf.5 lacks [%s] %s", section, want);
		CHECK(sec != NULL && strstr(sec, want) != NULL);
	}
	free(conf);
	free(man);
}

TEST(mistakes_are_reported_with_line)
{
	static const struct { const char *text; const char *err_has; } cases[] = {
		{ "[redis]\nadress = x\n", ":2: [redis] adress: unknown key" },
		{ "[nosuch]\na = b\n", "unknown section" },
		{ "[report]\nttl = forever\n", "not a duration" },
		{ "[probe]\nsmtp_port = 70000\n", "not a whole number from 1 to 65535" },
		{ "[probe]\nallow_networks = 10.0.0.0/8 nonsense\n", "\"nonsense\" is not an address" },
		{ "[milter]\ntest_addresses = nobody\n", "not user@domain" },
		{ "[log]\ndestination = file\n", "neither syslog nor stderr" },
		{ "[dns]\nresolver = 8.8.8.8\n", "neither recursive nor forward" },
		{ "[dns]\ntimeout = 0s\n", "[dns] timeout must be more than 0" },
		{ "[mail]\nsubmit = lmtp://x\n", "neither smtp://" },
		{ "[milter]\nmax_body_bytes = 10T\n", "is not a size from 1 to 1024G" },
		{ "[milter]\nmax_headers = 0\n", "is not a size from 1 to 1024G" },
		{ "[milter]\nmax_header_bytes = 2048G\n", "is not a size from 1 to 1024G" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mxray_config_t cfg;
		char err[512] = "";
		CHECK_INT(config_load_string(cases[i].text, &cfg, err, sizeof(err)), -1);
		if (strstr(err, cases[i].err_has) == NULL)
			printf("#   case %zu: error \"%s\", want \"%s\"\n", i, err, cases[i].err_has);
		CHECK(strstr(err, cases[i].err_has) != NULL);
	}
}

TEST(missing_file_says_so)
{
	mxray_config_t cfg;
	char err[512] = "";
	CHECK_INT(config_load("/nonexistent/mxray.conf", &cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "/nonexistent/mxray.conf: cannot open") != NULL);
	CHECK_INT(config_load("/tmp", &cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "/tmp: not a regular file") != NULL);
}

TEST(test_addresses_match_case_insensitively)
{
	mxray_config_t cfg;
	char err[256];
	CHECK_INT(config_load_string("[milter]\ntest_addresses = Test@MXray.test, @check.test\n",
				     &cfg, err, sizeof(err)), 0);
	CHECK(config_is_test_address(&cfg, "test@mxray.test"));
	CHECK(config_is_test_address(&cfg, "TEST@mxray.TEST"));
	CHECK(config_is_test_address(&cfg, "anyone@check.test"));
	CHECK(!config_is_test_address(&cfg, "other@mxray.test"));
	CHECK(!config_is_test_address(&cfg, "test@mxray.test.evil"));
	CHECK(!config_is_test_address(&cfg, "x@sub.check.test"));
	config_free(&cfg);
}

TEST(record_text_is_printable_and_bounded)
{
	json_t *j = record_text("ok\x1b[31m\xc3\xa9", 9);
	CHECK_STR(json_string_value(j), "ok\\x1b[31m\\xc3\\xa9");
	json_decref(j);
	char big[10000];
	memset(big, 'x', sizeof(big));
	j = record_text(big, sizeof(big));
	CHECK(strlen(json_string_value(j)) <= RECORD_TEXT_MAX);
	json_decref(j);
	char err[128];
	json_t *r = json_pack("{si}", "format", 2);
	CHECK_INT(record_check_format(r, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "format 2") != NULL);
	json_decref(r);
	CHECK_INT(record_check_format(json_null(), 1, err, sizeof(err)), -1);
}

int main(void)
{
	RUN(shipped_config_loads_with_documented_defaults);
	RUN(every_key_of_the_code_is_documented_in_the_shipped_file);
	RUN(every_key_of_the_code_has_its_default_in_conf_and_manual);
	RUN(mistakes_are_reported_with_line);
	RUN(missing_file_says_so);
	RUN(test_addresses_match_case_insensitively);
	RUN(record_text_is_printable_and_bounded);
	return harness_done();
}
