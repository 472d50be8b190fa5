/*
 * received.c - Received fields into hops (see received.h).
 *
 * A field is split at its last ';' into clauses and date. The clause part
 * is cut into words and comments (nested parentheses, bounded depth);
 * "from", "by", "via", "with", "id", "for" start a clause, the words after
 * them are its value, the comments after them belong to it. Bounds: at
 * most RECEIVED_TOKENS tokens per field; longer input is still kept raw.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/received.h"
#include "base/clock.h"
#include "base/netaddr.h"
#include "mail/finding.h"
#include "mail/record.h"

#define RECEIVED_TOKENS 128
#define RECEIVED_SKEW_S 300	/* later than the hop above by this: skew */

typedef struct rtok {
	const char *p;
	size_t len;
	int comment;		/* text inside (...), without the outer parens */
} rtok_t;

enum { C_NONE, C_FROM, C_BY, C_VIA, C_WITH, C_ID, C_FOR, C_COUNT };
static const char *const clause_names[C_COUNT] = { "", "from", "by", "via", "with", "id", "for" };

/* tokenize - words and comments of s[0..len). */
static size_t tokenize(const char *s, size_t len, rtok_t *t, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len)
			break;
		if (s[i] == '(') {
			size_t start = ++i;
			int depth = 1;
			while (i < len && depth > 0) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(' && depth < 16)
					depth++;
				else if (s[i] == ')')
					depth--;
				i++;
			}
			t[n++] = (rtok_t){ s + start, (depth == 0 ? i - 1 : i) - start, 1 };
			continue;
		}
		size_t start = i;
		while (i < len && !isspace((unsigned char)s[i]) && s[i] != '(')
			i++;
		t[n++] = (rtok_t){ s + start, i - start, 0 };
	}
	return n;
}

static int clause_of(const rtok_t *t)
{
	if (t->comment)
		return C_NONE;
	for (int c = 1; c < C_COUNT; c++)
		if (t->len == strlen(clause_names[c]) && strncasecmp(t->p, clause_names[c], t->len) == 0)
			return c;
	return C_NONE;
}

/* ip_in - the first IP address in s[0..len): "[192.0.2.1]", "[IPv6:...]"
 * or a bare word; into out. */
static int ip_in(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (isspace((unsigned char)s[i]) || strchr("[](),;=", s[i])))
			i++;
		size_t start = i;
		while (i < len && !isspace((unsigned char)s[i]) && !strchr("[](),;", s[i]))
			i++;
		size_t wl = i - start;
		const char *w = s + start;
		if (wl > 5 && strncasecmp(w, "IPv6:", 5) == 0) {
			w += 5;
			wl -= 5;
		}
		if (wl > 0 && wl < NETADDR_STRLEN && wl < outlen) {
			char buf[NETADDR_STRLEN];
			netaddr_t a;
			memcpy(buf, w, wl);
			buf[wl] = '\0';
			/* "helo=x.example" and "mail.example" are no addresses;
			 * a trailing port (Exim "[192.0.2.1]:25") is cut above. */
			if (netaddr_parse(buf, &a) == 0) {
				memcpy(out, buf, wl + 1);
				return 0;
			}
		}
	}
	return -1;
}

/* find_ci - case-insensitive search of needle in s[0..len). */
static const char *find_ci(const char *s, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= len; i++)
		if (strncasecmp(s + i, needle, nl) == 0)
			return s + i;
	return NULL;
}

/* word_after - the word after needle in s[0..len) (up to white space,
 * ',', ';' or ')'), into out; 0 when found. */
static int word_after(const char *s, size_t len, const char *needle, char *out, size_t outlen)
{
	const char *p = find_ci(s, len, needle);
	if (p == NULL)
		return -1;
	p += strlen(needle);
	const char *end = s + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	size_t n = 0;
	while (p + n < end && !isspace((unsigned char)p[n]) && !strchr(",;)", p[n]))
		n++;
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* tls_version_norm - "TLSv1.3", "TLS1.3", "TLS1_3", "tls1.2" -> "TLSv1.x". */
static void tls_version_norm(const char *in, char *out, size_t outlen)
{
	const char *d = in;
	while (*d && !isdigit((unsigned char)*d))
		d++;
	if (strncasecmp(in, "TLS", 3) == 0 && d[0] && (d[1] == '.' || d[1] == '_') && d[2])
		snprintf(out, outlen, "TLSv%c.%c", d[0], d[2]);
	else if (strncasecmp(in, "SSL", 3) == 0 && d[0])
		snprintf(out, outlen, "SSLv%c", d[0]);
	else
		snprintf(out, outlen, "%s", in);
}

/* tls_details - TLS version and cipher from what MTAs write; 1 if any. */
static int tls_details(const char *s, size_t len, char *ver, size_t vlen, char *cipher,
		       size_t clen)
{
	char v[64] = "";
	ver[0] = cipher[0] = '\0';
	if (word_after(s, len, "using ", v, sizeof(v)) == 0 &&
	    (strncasecmp(v, "TLS", 3) == 0 || strncasecmp(v, "SSL", 3) == 0)) {
		word_after(s, len, " with cipher ", cipher, clen);		/* Postfix */
	} else if (word_after(s, len, "version=", v, sizeof(v)) == 0) {	/* Sendmail, Exchange */
		word_after(s, len, "cipher=", cipher, clen);
	} else {
		v[0] = '\0';
		const char *p = find_ci(s, len, "(TLS1");			/* Exim */
		if (p != NULL) {
			size_t n = 1;
			while (p + n < s + len && p[n] != ')' && n < sizeof(v))
				n++;
			snprintf(v, sizeof(v), "%.*s", (int)(n - 1), p + 1);
			word_after(s, len, ") tls ", cipher, clen);
		}
		if (cipher[0] == '\0')
			word_after(s, len, " cipher=", cipher, clen);		/* Exim X= style */
	}
	if (v[0])
		tls_version_norm(v, ver, vlen);
	return ver[0] || cipher[0];
}

time_t received_date(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int day, year, hh, mm, ss = 0, n = 0;
	char mon[4], zone[16] = "";
	struct tm tm;

	while (*s == ' ' || *s == '\t')
		s++;
	const char *comma = strchr(s, ',');
	if (comma && comma - s <= 10)
		s = comma + 1;		/* the day of the week */
	if (sscanf(s, " %d %3s %d %d:%d%n", &day, mon, &year, &hh, &mm, &n) != 5)
		return -1;
	s += n;
	if (*s == ':') {
		if (sscanf(s, ":%d%n", &ss, &n) != 1)
			return -1;
		s += n;
	}
	if (sscanf(s, " %15s", zone) != 1)
		zone[0] = '\0';
	const char *m = strcasestr(months, mon);
	if (strlen(mon) != 3 || m == NULL || (m - months) % 3 != 0)
		return -1;
	if (year < 100)
		year += year < 50 ? 2000 : 1900;	/* RFC 5322 4.3 */
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970 || year > 9999)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	time_t t = timegm(&tm);
	long off = 0;
	if ((zone[0] == '+' || zone[0] == '-') && isdigit((unsigned char)zone[1])) {
		long z = strtol(zone + 1, NULL, 10);
		off = (z / 100) * 3600 + (z % 100) * 60;
		if (zone[0] == '-')
			off = -off;
	} else if (strncasecmp(zone, "EST", 3) == 0 || strncasecmp(zone, "CDT", 3) == 0) {
		off = -5 * 3600;
	} else if (strncasecmp(zone, "EDT", 3) == 0) {
		off = -4 * 3600;
	} else if (strncasecmp(zone, "CST", 3) == 0 || strncasecmp(zone, "MDT", 3) == 0) {
		off = -6 * 3600;
	} else if (strncasecmp(zone, "MST", 3) == 0 || strncasecmp(zone, "PDT", 3) == 0) {
		off = -7 * 3600;
	} else if (strncasecmp(zone, "PST", 3) == 0) {
		off = -8 * 3600;
	}
	return t - off;
}

/* set_tok - obj[key] = the words of one clause, joined by spaces. */
static void set_words(json_t *o, const char *key, const rtok_t *t, size_t from, size_t to)
{
	char buf[RECORD_TEXT_MAX];
	size_t n = 0;
	for (size_t i = from; i < to && !t[i].comment; i++) {
		if (n > 0 && n < sizeof(buf) - 1)
			buf[n++] = ' ';
		size_t k = t[i].len < sizeof(buf) - 1 - n ? t[i].len : sizeof(buf) - 1 - n;
		memcpy(buf + n, t[i].p, k);
		n += k;
	}
	buf[n] = '\0';
	if (n > 0)
		json_object_set_new(o, key, record_text(buf, n));
}

/* ends_with_ci - s[0..len) ends with suffix, ignoring case. */
static int ends_with_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

json_t *received_parse(const char *raw)
{
	json_t *o = json_object();
	record_set_text(o, "raw", raw);
	const char *semi = strrchr(raw, ';');
	size_t clen = semi ? (size_t)(semi - raw) : strlen(raw);
	rtok_t t[RECEIVED_TOKENS];
	size_t n = tokenize(raw, clen, t, RECEIVED_TOKENS);
	int seen[C_COUNT] = { 0 };
	char ip[NETADDR_STRLEN] = "", helo[256] = "";

	for (size_t i = 0; i < n; i++) {
		int c = clause_of(&t[i]);
		if (c == C_NONE || seen[c])
			continue;
		seen[c] = 1;
		size_t j = i + 1;
		while (j < n && clause_of(&t[j]) == C_NONE && !t[j].comment)
			j++;
		size_t k = j;		/* comments after the words belong here too */
		while (k < n && t[k].comment)
			k++;
		switch (c) {
		case C_FROM:
			set_words(o, "from_name", t, i + 1, j);
			for (size_t m = i + 1; m < k; m++) {
				if (ip[0] == '\0')
					ip_in(t[m].p, t[m].len, ip, sizeof(ip));
				/* Exim "helo=NAME", qmail "HELO NAME" */
				if (t[m].comment && helo[0] == '\0' &&
				    word_after(t[m].p, t[m].len, "helo=", helo, sizeof(helo)) != 0)
					(void)word_after(t[m].p, t[m].len, "HELO ", helo, sizeof(helo));
			}
			break;
		case C_BY: set_words(o, "by", t, i + 1, j); break;
		case C_VIA: set_words(o, "via", t, i + 1, j); break;
		case C_WITH: set_words(o, "with", t, i + 1, j); break;
		case C_ID: set_words(o, "id", t, i + 1, j); break;
		case C_FOR: {
			json_t *tmp = json_object();
			set_words(tmp, "for", t, i + 1, j);
			const char *f = json_string_value(json_object_get(tmp, "for"));
			if (f) {
				size_t fl = strlen(f);
				if (fl >= 2 && f[0] == '<' && f[fl - 1] == '>')
					json_object_set_new(o, "for", record_text(f + 1, fl - 2));
				else
					json_object_set(o, "for", json_object_get(tmp, "for"));
			}
			json_decref(tmp);
			break;
		}
		}
	}
	/* qmail: "from unknown (HELO mail.example) (192.0.2.1)" is handled
	 * above; Exim: "from [192.0.2.1] (helo=x)" has the address as name. */
	record_set_text(o, "from_ip", ip[0] ? ip : NULL);
	record_set_text(o, "from_helo", helo[0] ? helo : NULL);

	char ver[64], cipher[128];
	int has_tls = tls_details(raw, clen, ver, sizeof(ver), cipher, sizeof(cipher));
	record_set_text(o, "tls_version", ver[0] ? ver : NULL);
	record_set_text(o, "tls_cipher", cipher[0] ? cipher : NULL);
	const char *with = json_string_value(json_object_get(o, "with"));
	json_t *tls = json_null();
	if (has_tls || find_ci(raw, clen, "Google Transport Security") != NULL) {
		tls = json_true();
	} else if (with != NULL) {
		/* RFC 3848: ESMTPS, ESMTPSA, UTF8SMTPS ...; "SMTPS" (Gmail). */
		size_t wl = strcspn(with, " ");
		if (ends_with_ci(with, wl, "SMTPS") || ends_with_ci(with, wl, "SMTPSA"))
			tls = json_true();
		else if (ends_with_ci(with, wl, "SMTP") || ends_with_ci(with, wl, "SMTPA") ||
			 strncasecmp(with, "Microsoft SMTP Server", 21) == 0)
			tls = json_false();
	}
	json_object_set_new(o, "tls", tls);

	const char *date = semi ? semi + 1 : NULL;
	while (date && (*date == ' ' || *date == '\t'))
		date++;
	record_set_text(o, "date", date && *date ? date : NULL);
	time_t when = date ? received_date(date) : -1;
	char iso[32];
	if (when >= 0) {
		clock_rfc3339(when, iso, sizeof(iso));
		json_object_set_new(o, "time", json_string(iso));
	} else {
		json_object_set_new(o, "time", json_null());
	}

	int parsed = seen[C_FROM] || seen[C_BY] ||
		     (n > 0 && t[0].comment && find_ci(t[0].p, t[0].len, "invoked") != NULL);
	json_object_set_new(o, "parsed", json_boolean(parsed));
	return o;
}

/* is_local_ip - loopback: a hop inside one host needs no TLS. */
static int is_local_ip(const char *ip)
{
	return ip == NULL || strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

json_t *received_path(char *const *raw, size_t n)
{
	json_t *arr = json_array();
	time_t *when = calloc(n ? n : 1, sizeof(*when));
	for (size_t i = 0; i < n; i++) {
		json_t *h = received_parse(raw[i]);
		const char *d = json_string_value(json_object_get(h, "date"));
		when[i] = d ? received_date(d) : -1;
		json_array_append_new(arr, h);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(arr, i);
		char subject[80];
		snprintf(subject, sizeof(subject), "Received #%zu", i + 1);
		if (!json_is_true(json_object_get(h, "parsed")))
			finding_add(h, "message.received.unparsed", subject, NULL);
		const char *ip = json_string_value(json_object_get(h, "from_ip"));
		if (json_is_false(json_object_get(h, "tls")) && !is_local_ip(ip))
			finding_add(h, "message.received.plaintext_hop", subject, "from %s by %s",
				    ip, json_string_value(json_object_get(h, "by")) ?: "?");
		if (i + 1 < n && when[i] >= 0 && when[i + 1] >= 0) {
			long long delay = (long long)(when[i] - when[i + 1]);
			json_object_set_new(h, "delay_s", json_integer(delay));
			if (delay < -RECEIVED_SKEW_S)
				finding_add(h, "message.received.clock_skew", subject,
					    "%lld s earlier than the hop before it", -delay);
		} else {
			json_object_set_new(h, "delay_s", json_null());
		}
	}
	free(when);
	return arr;
}
