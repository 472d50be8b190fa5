/*
 * mta_sts.c - MTA-STS record, policy fetch and MX check (see mta_sts.h).
 *
 * Trusts the resolver for addresses and libcurl/OpenSSL for the HTTPS
 * certificate check; trusts nothing in the record or the policy.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/guard.h"
#include "probe/mta_sts.h"
#include "probe/mx.h"
#include "probe/txt.h"

#define MAX_AGE_MAX 31557600LL	/* RFC 8461 3.2: about one year */
#define MAX_AGE_SHORT 86400LL	/* under a day: little protection */
#define PROBLEMS_MAX 20

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- the TXT record (RFC 8461 3.1) ---- */

int mta_sts_record_is_sts(const char *txt, size_t len)
{
	/* sts-version = "v=STSv1", then white space, ';' or the end: the
	 * version is a whole field, so "v=STSv10" is some other record. */
	return len >= 7 && strncmp(txt, "v=STSv1", 7) == 0 &&
	       (len == 7 || txt[7] == ';' || is_wsp(txt[7]));
}

int mta_sts_record_parse(const char *txt, size_t len, char *id, size_t idlen, char *problem,
			 size_t plen)
{
	char *p = text_printable(txt, len, 200);
	int rc = -1;

	id[0] = '\0';
	problem[0] = '\0';
	if (memchr(txt, '\0', len) != NULL) {
		snprintf(problem, plen, "the record holds a NUL byte: \"%s\"", p);
		goto out;
	}
	/* Fields split on ';' with optional white space around; the first
	 * must be v=STSv1; an empty last field (a trailing ';') is allowed. */
	char *copy = strndup(txt, len), *save = NULL, *f;
	int n = 0, have_id = 0;
	if (copy == NULL)
		log_panic("mta_sts_record_parse: out of memory");
	for (f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save), n++) {
		char *field = text_trim(f);
		char *eq = strchr(field, '=');
		if (field[0] == '\0') {
			snprintf(problem, plen, "empty field in \"%s\"", p);
			break;
		}
		if (eq == NULL) {
			snprintf(problem, plen, "field without '=' in \"%s\"", p);
			break;
		}
		*eq = '\0';
		char *key = text_trim(field), *val = text_trim(eq + 1);
		if (n == 0) {
			if (strcmp(key, "v") != 0 || strcmp(val, "STSv1") != 0) {
				snprintf(problem, plen, "the record must start with v=STSv1: \"%s\"", p);
				break;
			}
			continue;
		}
		if (strcmp(key, "id") == 0) {
			size_t k, vl = strlen(val);
			for (k = 0; k < vl && isalnum((unsigned char)val[k]); k++)
				;
			if (vl == 0 || vl > 32 || k != vl) {
				snprintf(problem, plen, "id must be 1 to 32 letters and digits: \"%s\"", p);
				break;
			}
			if (!have_id)
				snprintf(id, idlen, "%s", val);
			have_id = 1;
		}
	}
	if (problem[0] == '\0' && n == 0)
		snprintf(problem, plen, "empty record");
	else if (problem[0] == '\0' && !have_id)
		snprintf(problem, plen, "no id= field in \"%s\"", p);
	rc = problem[0] ? -1 : 0;
	free(copy);
out:
	free(p);
	return rc;
}

/* ---- the policy (RFC 8461 3.2) ---- */

static void problem(json_t *problems, int line, const char *what, const char *text, size_t len)
{
	if (json_array_size(problems) >= PROBLEMS_MAX)
		return;
	char *p = text_printable(text, len, 160);
	char buf[400];
	snprintf(buf, sizeof(buf), "line %d: %s: \"%s\"", line, what, p);
	json_array_append_new(problems, json_string(buf));
	free(p);
}

/* mx_pattern_ok - ["*."] Ldh-str *("." Ldh-str), each label 1..63. */
static int mx_pattern_ok(const char *v)
{
	return text_host_name_ok(v, 1, 1);
}

static int all_digits(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v))
			return 0;
	return 1;
}

/* ext_name_ok - (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int ext_name_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 32 || !isalnum((unsigned char)k[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_' && k[i] != '-' && k[i] != '.')
			return 0;
	return 1;
}

json_t *mta_sts_policy_parse(const char *text, size_t len)
{
	json_t *problems = json_array(), *mx = json_array();
	json_t *version = json_null(), *mode = json_null(), *max_age = json_null();
	size_t pos = 0;
	int line = 0;

	if (len > MTA_STS_POLICY_MAX)
		len = MTA_STS_POLICY_MAX;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl ? 1 : 0);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0) {
			/* The grammar has no empty lines; one at the very end is a
			 * trailing terminator some servers add: accepted. */
			if (pos < len)
				problem(problems, line, "empty line", s, 0);
			continue;
		}
		if (memchr(s, '\0', n) || memchr(s, '\r', n)) {
			problem(problems, line, "control character in the line", s, n);
			continue;
		}
		const char *colon = memchr(s, ':', n);
		if (colon == NULL) {
			problem(problems, line, "not a \"key: value\" line", s, n);
			continue;
		}
		char key[64], val[300];
		size_t kl = (size_t)(colon - s);
		if (kl == 0 || kl >= sizeof(key)) {
			problem(problems, line, "bad key", s, n);
			continue;
		}
		memcpy(key, s, kl);
		key[kl] = '\0';
		const char *v = colon + 1;
		size_t vl = n - kl - 1;
		while (vl > 0 && is_wsp(*v)) {
			v++;
			vl--;
		}
		while (vl > 0 && is_wsp(v[vl - 1]))
			vl--;
		if (vl >= sizeof(val)) {
			problem(problems, line, "value too long", s, n);
			continue;
		}
		memcpy(val, v, vl);
		val[vl] = '\0';
		if (strcmp(key, "version") == 0) {
			if (!json_is_null(version))
				problem(problems, line, "version given twice (the first counts)", s, n);
			else if (strcmp(val, "STSv1") != 0)
				problem(problems, line, "version must be STSv1", s, n);
			else
				version = json_string(val);
		} else if (strcmp(key, "mode") == 0) {
			if (!json_is_null(mode))
				problem(problems, line, "mode given twice (the first counts)", s, n);
			else if (strcmp(val, "enforce") && strcmp(val, "testing") && strcmp(val, "none"))
				problem(problems, line, "mode must be enforce, testing or none", s, n);
			else
				mode = json_string(val);
		} else if (strcmp(key, "max_age") == 0) {
			if (!json_is_null(max_age))
				problem(problems, line, "max_age given twice (the first counts)", s, n);
			else if (!all_digits(val) || strlen(val) > 10 || atoll(val) > MAX_AGE_MAX)
				problem(problems, line, "max_age must be a number of seconds up to 31557600", s, n);
			else
				max_age = json_integer(atoll(val));
		} else if (strcmp(key, "mx") == 0) {
			if (!mx_pattern_ok(val))
				problem(problems, line, "mx must be a host name, optionally starting with \"*.\"", s, n);
			else if (json_array_size(mx) < MTA_STS_MX_MAX)
				json_array_append_new(mx, record_text(text_lower(val), vl));
		} else if (!ext_name_ok(key)) {
			problem(problems, line, "bad key", s, n);
		}
		/* other well-formed keys are extensions: ignored (RFC 8461 3.2) */
	}
	if (json_is_null(version))
		json_array_append_new(problems, json_string("no \"version: STSv1\" line"));
	if (json_is_null(mode))
		json_array_append_new(problems, json_string("no valid \"mode:\" line"));
	if (json_is_null(max_age))
		json_array_append_new(problems, json_string("no valid \"max_age:\" line"));
	const char *m = json_string_value(mode);
	if (json_array_size(mx) == 0 && m && strcmp(m, "none") != 0)
		json_array_append_new(problems, json_string("no \"mx:\" line (required unless mode is none)"));
	json_t *o = json_object();
	json_object_set_new(o, "valid", json_boolean(json_array_size(problems) == 0));
	json_object_set_new(o, "version", version);
	json_object_set_new(o, "mode", mode);
	json_object_set_new(o, "max_age", max_age);
	json_object_set_new(o, "mx", mx);
	json_object_set_new(o, "problems", problems);
	return o;
}

int mta_sts_mx_match(const char *pattern, const char *host)
{
	char h[256];
	snprintf(h, sizeof(h), "%s", host);
	size_t n = strlen(h);
	if (n > 1 && h[n - 1] == '.')
		h[n - 1] = '\0';
	if (strncmp(pattern, "*.", 2) == 0) {
		const char *dot = strchr(h, '.');
		/* the wildcard is exactly one label, never empty, never more */
		return dot != NULL && dot != h && strcasecmp(dot + 1, pattern + 2) == 0;
	}
	return strcasecmp(pattern, h) == 0;
}

/* ---- the fetch (RFC 8461 3.3) ---- */

typedef struct fetch_buf {
	char data[MTA_STS_POLICY_MAX + 1];
	size_t len;
	int overflow;
} fetch_buf_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	fetch_buf_t *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n > MTA_STS_POLICY_MAX) {
		b->overflow = 1;
		return 0;	/* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static long long min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

/* fetch - GET the policy from addr; sets d's fetch facts; returns the
 * outcome ("ok", "fetch_failed", "cert_invalid", "http_error", or
 * "not_tested" when mxray's own CA file cannot be read) and fills b.
 * *unreached is 1 when no connection to addr could be made at all (try
 * the host's next address). */
static const char *fetch(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
			 json_t *d, fetch_buf_t *b, long long job_deadline, int *unreached)
{
	char ip[NETADDR_STRLEN], url[400], pin[400], errbuf[CURL_ERROR_SIZE];
	netaddr_format(addr, ip, sizeof(ip));
	snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
	snprintf(pin, sizeof(pin), addr->family == AF_INET6 ? "%s:443:[%s]" : "%s:443:%s", host, ip);
	long long left = job_deadline - clock_ms();
	long long total = min_ll(cfg->connect_timeout_ms + cfg->tls_timeout_ms + cfg->command_timeout_ms,
				 left > 1 ? left : 1);

	CURL *h = curl_easy_init();
	if (h == NULL)
		log_panic("mta_sts: curl_easy_init failed");
	struct curl_slist *resolve = curl_slist_append(NULL, pin);
	errbuf[0] = '\0';
	b->len = 0;
	b->overflow = 0;
	b->data[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)min_ll(cfg->connect_timeout_ms, total));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)total);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MTA_STS_POLICY_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mxray (MTA-STS check)");

	long long t0 = clock_ms();
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	char *ctype = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	json_object_set_new(d, "policy_address", json_string(ip));
	json_object_set_new(d, "fetch_ms", json_integer(clock_ms() - t0));
	json_object_set_new(d, "http_status", status ? json_integer(status) : json_null());
	record_set_text(d, "content_type", ctype);

	const char *outcome = "ok";
	char why[CURL_ERROR_SIZE + 400];
	why[0] = '\0';
	double connect_s = 0;
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect_s);
	*unreached = rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && connect_s <= 0);
	if (rc == CURLE_SSL_CACERT_BADFILE) {
		/* Our environment, not the policy host: say so, judge nothing. */
		outcome = "not_tested";
		snprintf(why, sizeof(why), "mxray could not read its own CA file ([probe] ca_file = "
			 "\"%.200s\"): %s; fix the setting, the policy host was not judged", cfg->ca_file,
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		log_error("mta_sts: %s", why);
		record_set_text(d, "reason", why);
	} else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		outcome = "cert_invalid";
		snprintf(why, sizeof(why), "the HTTPS certificate of %s does not verify: %s", host,
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (b->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
		outcome = "fetch_failed";
		snprintf(why, sizeof(why), "the policy is larger than %d bytes", MTA_STS_POLICY_MAX);
	} else if (rc != CURLE_OK) {
		outcome = "fetch_failed";
		snprintf(why, sizeof(why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status != 200) {
		/* a redirect is a failure too: RFC 8461 3.3 forbids following it */
		outcome = "http_error";
		snprintf(why, sizeof(why), "HTTP status %ld (200 required%s)", status,
			 status / 100 == 3 ? "; redirects are not followed" : "");
	}
	record_set_text(d, "fetch_error", why[0] && strcmp(outcome, "not_tested") != 0 ? why : NULL);
	curl_slist_free_all(resolve);
	curl_easy_cleanup(h);
	return outcome;
}

/* ---- the check ---- */

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* check_hosts - each MX against the policy's patterns; under enforce every
 * tested address must present a trusted certificate naming its host. */
static void check_hosts(json_t *d, json_t *policy, json_t *hosts)
{
	const char *mode = str(policy, "mode");
	int enforce = mode && strcmp(mode, "enforce") == 0;
	int testing = mode && strcmp(mode, "testing") == 0;
	size_t i, k, usable = 0, failing = 0;
	json_t *host, *pat, *addr;

	json_array_foreach(hosts, i, host) {
		const char *name = str(host, "host");
		if (name == NULL)
			continue;
		const char *matched = NULL;
		json_array_foreach(json_object_get(policy, "mx"), k, pat)
			if (matched == NULL && mta_sts_mx_match(json_string_value(pat), name))
				matched = json_string_value(pat);
		json_t *hm = json_object();
		json_object_set_new(hm, "mx_match", json_boolean(matched != NULL));
		json_object_set_new(hm, "pattern", matched ? json_string(matched) : json_null());
		if (matched == NULL && (enforce || testing))
			finding_add(hm, enforce ? "mta_sts.mx_mismatch" : "mta_sts.mx_mismatch_testing",
				    name, "no mx pattern of the policy matches %s", name);
		json_array_foreach(json_object_get(host, "addresses"), k, addr) {
			const char *state = str(addr, "state"), *st = str(addr, "starttls");
			if (!enforce || state == NULL || strcmp(state, "not_tested") == 0)
				continue;	/* not tested: neither passes nor fails */
			if (matched == NULL) {
				failing++;
				continue;
			}
			char subject[320];
			snprintf(subject, sizeof(subject), "%.253s %.46s", name, str(addr, "ip") ?: "?");
			json_t *tls = json_object_get(addr, "tls");
			failing++;
			if (st == NULL || strcmp(st, "ok") != 0)
				finding_add(hm, "mta_sts.enforce_tls_fails", subject, "STARTTLS %s",
					    st ? st : "not reached");
			else if (!json_is_true(json_object_get(tls, "verified")))
				finding_add(hm, "mta_sts.enforce_tls_fails", subject,
					    "certificate not trusted: %s", str(tls, "verify_error") ?: "?");
			else if (!json_is_true(json_object_get(tls, "name_match")))
				finding_add(hm, "mta_sts.enforce_tls_fails", subject,
					    "certificate does not name %s", name);
			else {
				failing--;
				usable++;
			}
		}
		json_object_set_new(host, "mta_sts", hm);
	}
	/* Enforce with no MX an MTA-STS sender accepts: it cannot deliver. */
	if (enforce && usable == 0 && failing > 0)
		finding_add(d, "mta_sts.no_usable_mx", NULL,
			    "%zu tested address(es), none listed in the policy with a valid certificate",
			    failing);
}

/* dane_verdict - what a DANE-validating sender finds at host: 1 every
 * tested address matches its TLSA records, -1 one fails them (a
 * mismatch, or no TLS where TLSA promises it), 0 DANE does not apply or
 * nothing was checked. */
static int dane_verdict(const json_t *host)
{
	size_t k;
	json_t *addr;
	int valid = 0;
	if (!json_is_true(json_object_get(json_object_get(host, "dane"), "applies")))
		return 0;
	json_array_foreach(json_object_get(host, "addresses"), k, addr) {
		const char *st = str(json_object_get(addr, "dane"), "state");
		if (st && (strcmp(st, "mismatch") == 0 || strcmp(st, "no_tls") == 0))
			return -1;
		if (st && strcmp(st, "valid") == 0)
			valid = 1;
	}
	return valid;
}

/* explain_dane - a domain with MTA-STS and DANE: a sender that validates
 * DANE uses the TLSA records of an MX host that has them and ignores
 * MTA-STS for it (RFC 8461 section 2); every other sender uses MTA-STS.
 * Where the two disagree about a host, say who can deliver there. */
static void explain_dane(json_t *d, const char *domain, const json_t *policy, json_t *hosts)
{
	const char *mode = str(policy, "mode");
	size_t i, with_dane = 0;
	json_t *host;

	if (mode == NULL || (strcmp(mode, "enforce") != 0 && strcmp(mode, "testing") != 0))
		return;
	json_array_foreach(hosts, i, host) {
		json_t *hm = json_object_get(host, "mta_sts");
		if (!json_is_true(json_object_get(json_object_get(host, "dane"), "applies")) ||
		    !json_is_object(hm))
			continue;
		with_dane++;
		int dane = dane_verdict(host), listed = json_is_true(json_object_get(hm, "mx_match"));
		int sts_ok = listed;
		size_t k;
		json_t *f;
		json_array_foreach(json_object_get(hm, "findings"), k, f)
			if (strcmp(str(f, "id") ?: "", "mta_sts.enforce_tls_fails") == 0)
				sts_ok = 0;
		const char *name = str(host, "host");
		if (dane > 0 && !sts_ok)
			finding_add(hm, "mta_sts.dane_only", name, "DANE valid; MTA-STS (%s): %s", mode,
				    listed ? "TLS requirements not met" : "not listed in the policy");
		else if (dane < 0 && sts_ok)
			finding_add(hm, "mta_sts.dane_fails", name, "the TLSA records do not match; "
				    "MTA-STS (%s) would accept the host", mode);
	}
	if (with_dane > 0)
		finding_add(d, "mta_sts.with_dane", domain, "%zu of %zu MX hosts have DANE",
			    with_dane, json_array_size(hosts));
}

json_t *mta_sts_check(const mxray_config_t *cfg, resolver_t *r, const char *domain,
		      json_t *hosts, long long job_deadline)
{
	json_t *d = json_object();
	char name[300], host[300], err[256], id[40], prob[700];
	const char *outcome = NULL;
	txt_answer_t txt;
	char dom[256];

	/* one spelling for names, the URL and CURLOPT_RESOLVE */
	snprintf(dom, sizeof(dom), "%s", domain);
	size_t dl = strlen(dom);
	if (dl > 1 && dom[dl - 1] == '.')
		dom[dl - 1] = '\0';
	domain = text_lower(dom);
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	record_set_text(d, "record_name", name);
	json_object_set_new(d, "record", json_null());
	json_object_set_new(d, "id", json_null());
	json_object_set_new(d, "policy_url", json_null());
	json_object_set_new(d, "policy", json_null());
	json_object_set_new(d, "problems", json_array());

	if (txt_lookup(r, name, &txt, err, sizeof(err)) != 0) {
		outcome = "temperror";
		record_set_text(d, "reason", err);
		goto out;
	}
	json_object_set_new(d, "dnssec", json_string(dnssec_status_name(txt.dnssec)));
	if (txt.dnssec == DNSSEC_BOGUS || txt.outcome == DNS_SERVFAIL) {
		outcome = "temperror";
		record_set_text(d, "reason", txt.dnssec == DNSSEC_BOGUS ?
				"the _mta-sts record failed DNSSEC validation" : "the lookup failed");
		goto out;
	}
	/* RFC 8461 3.1: records not starting with v=STSv1 are ignored;
	 * more than one that does means no policy. */
	size_t sts = 0, which = 0;
	for (size_t i = 0; i < txt.count; i++)
		if (mta_sts_record_is_sts(txt.records[i], txt.lengths[i])) {
			sts++;
			which = i;
		}
	if (sts == 0) {
		outcome = "none";
		finding_add(d, "mta_sts.none", domain, NULL);
		goto out;
	}
	json_object_set_new(d, "record", record_text(txt.records[which], txt.lengths[which]));
	if (sts > 1) {
		outcome = "invalid_record";
		json_array_append_new(json_object_get(d, "problems"),
				      json_string("more than one v=STSv1 record"));
		finding_add(d, "mta_sts.record_invalid", domain, "%zu v=STSv1 records", sts);
		goto out;
	}
	if (mta_sts_record_parse(txt.records[which], txt.lengths[which], id, sizeof(id), prob,
				 sizeof(prob)) != 0) {
		outcome = "invalid_record";
		json_array_append_new(json_object_get(d, "problems"), json_string(prob));
		finding_add(d, "mta_sts.record_invalid", domain, "%s", prob);
		goto out;
	}
	json_object_set_new(d, "id", json_string(id));

	/* The policy host, through our resolver and the abuse guard. */
	char url[400];
	snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
	record_set_text(d, "policy_url", url);
	mx_addrs_t addrs;
	if (mx_addresses(r, host, &addrs, err, sizeof(err)) != 0) {
		outcome = "temperror";
		record_set_text(d, "reason", err);
		goto out;
	}
	if (addrs.count == 0 || addrs.dnssec == DNSSEC_BOGUS) {
		outcome = "fetch_failed";
		snprintf(prob, sizeof(prob), "%s has no usable address (%s)", host,
			 addrs.dnssec == DNSSEC_BOGUS ? "bogus" : addrs.problem);
		record_set_text(d, "fetch_error", prob);
		finding_add(d, "mta_sts.policy_unavailable", domain, "%s", prob);
		goto out;
	}
	/* Like a sender's HTTPS client: the next address when one cannot be
	 * reached at all; each allowed address tried is listed. */
	size_t allowed = 0;
	char refused[256] = "";
	json_t *tried = json_array();
	json_object_set_new(d, "addresses_tried", tried);
	fetch_buf_t *b = malloc(sizeof(*b));
	if (b == NULL)
		log_panic("mta_sts_check: out of memory");
	outcome = NULL;
	for (size_t i = 0; i < addrs.count; i++) {
		if (probe_guard_refuse(&cfg->allow_networks, &addrs.addrs[i], refused, sizeof(refused)))
			continue;
		allowed++;
		if (clock_ms() >= job_deadline) {
			outcome = "not_tested";
			record_set_text(d, "reason", "job deadline reached");
			break;
		}
		int unreached = 0;
		char ip[NETADDR_STRLEN];
		netaddr_format(&addrs.addrs[i], ip, sizeof(ip));
		outcome = fetch(cfg, host, &addrs.addrs[i], d, b, job_deadline, &unreached);
		json_t *one = json_pack("{ss}", "ip", ip);
		json_object_set(one, "error", json_object_get(d, "fetch_error") ?: json_null());
		json_array_append_new(tried, one);
		if (!unreached)
			break;
	}
	if (allowed == 0) {
		free(b);
		outcome = "not_tested";
		record_set_text(d, "reason", refused);
		goto out;
	}
	if (strcmp(outcome, "not_tested") == 0) {
		/* our CA file or the job deadline: no finding about the domain */
	} else if (strcmp(outcome, "cert_invalid") == 0) {
		finding_add(d, "mta_sts.policy_cert_invalid", host, "%s", str(d, "fetch_error") ?: "");
	} else if (strcmp(outcome, "ok") != 0) {
		finding_add(d, "mta_sts.policy_unavailable", domain, "%s", str(d, "fetch_error") ?: "");
	} else {
		json_object_set_new(d, "policy_text", record_text(b->data, b->len));
		const char *ct = str(d, "content_type");
		json_t *pol = mta_sts_policy_parse(b->data, b->len);
		if (ct == NULL || strncasecmp(ct, "text/plain", 10) != 0)
			json_array_append_new(json_object_get(pol, "problems"),
					      json_string("the media type must be text/plain"));
		json_object_set(d, "problems", json_object_get(pol, "problems"));
		if (json_array_size(json_object_get(pol, "problems")) > 0) {
			outcome = "invalid_policy";
			char *p = probe_join(json_object_get(pol, "problems"));
			finding_add(d, "mta_sts.policy_invalid", domain, "%s", p);
			free(p);
			json_decref(pol);
		} else {
			json_object_del(pol, "problems");
			json_object_del(pol, "valid");
			const char *mode = str(pol, "mode");
			json_object_set_new(d, "mode", json_string(mode));
			if (strcmp(mode, "enforce") == 0)
				finding_add(d, "mta_sts.enforce", domain, NULL);
			else if (strcmp(mode, "testing") == 0)
				finding_add(d, "mta_sts.testing", domain, NULL);
			else
				finding_add(d, "mta_sts.mode_none", domain, NULL);
			json_int_t age = json_integer_value(json_object_get(pol, "max_age"));
			if (strcmp(mode, "none") != 0 && age < MAX_AGE_SHORT)
				finding_add(d, "mta_sts.max_age_short", domain, "max_age %lld s",
					    (long long)age);
			check_hosts(d, pol, hosts);
			explain_dane(d, domain, pol, hosts);
			json_object_set_new(d, "policy", pol);
		}
	}
	free(b);
out:
	json_object_set_new(d, "outcome", json_string(outcome));
	txt_answer_clear(&txt);
	return d;
}
