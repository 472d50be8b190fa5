/*
 * tls_scan_smtp.c - how the TLS scan reaches the TLS stage of an MX
 * address: a new SMTP session per hello (connect, greeting, EHLO,
 * STARTTLS) through smtp_client, so the abuse guard, the connection slots
 * and the verb whitelist apply to every one (see tls_scan.h).
 *
 * Trusts: smtp_client's reading of the replies; a server that does not
 * offer what the scan needs is not asked again (TLS_SCAN_LINK_FINAL).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "probe/smtp_client.h"
#include "probe/tls_scan.h"

typedef struct smtp_link {
	smtp_client_opts_t opts;
	int pipelining;		/* the server offered PIPELINING (atomic: the scan's threads) */
} smtp_link_t;

/* offers_pipelining - the EHLO reply lists PIPELINING (RFC 2920). */
static int offers_pipelining(const smtp_reply_t *r)
{
	for (size_t i = 1; i < r->count; i++) {
		const char *t = smtp_reply_text(r, i);
		if (t && strncasecmp(t, "PIPELINING", 10) == 0 && (t[10] == '\0' || t[10] == ' '))
			return 1;
	}
	return 0;
}

/* smtp_link_open - connect, greeting, EHLO, STARTTLS. -1 for what may
 * pass (a refused or reset connection, a 421 or 4xx reply: the server is
 * busy), TLS_SCAN_LINK_FINAL for what will not (no STARTTLS, a 5xx, a
 * silent or malformed server): trying again would only hammer it. */
static int smtp_link_open(void *ctx, int *fd, void **conn, char *err, size_t errlen)
{
	smtp_link_t *l = ctx;
	smtp_fail_t fail;
	smtp_reply_t reply, ehlo;
	int rc = TLS_SCAN_LINK_FINAL;

	smtp_client_t *c = smtp_client_open(&l->opts, &fail, err, errlen);
	if (c == NULL)
		return fail == SMTP_FAIL_IO ? -1 : TLS_SCAN_LINK_FINAL;
	smtp_reply_init(&reply);
	smtp_reply_init(&ehlo);
	if (smtp_client_greeting(c, &reply, err, errlen) != 0) {
		smtp_fail_t f = smtp_client_failure(c);
		if (f == SMTP_FAIL_IO || f == SMTP_FAIL_EOF)
			rc = -1;	/* reset or closed: perhaps a connection limit */
		goto out;
	}
	if (reply.code / 100 != 2) {
		snprintf(err, errlen, "greeting %d", reply.code);
		if (reply.code / 100 == 4)
			rc = -1;
		goto out;
	}
	smtp_reply_clear(&reply);
	if (__atomic_load_n(&l->pipelining, __ATOMIC_RELAXED)) {
		/* one round trip less for every hello after the first */
		int s = smtp_client_ehlo_starttls_raw(c, &ehlo, &reply, fd, err, errlen);
		if (s == 1)
			snprintf(err, errlen, "EHLO/STARTTLS refused (%d, %d)", ehlo.code, reply.code);
		rc = s == 0 ? 0 : s == 1 && (ehlo.code / 100 == 4 || reply.code / 100 == 4) ? -1 :
		     TLS_SCAN_LINK_FINAL;
		goto out;
	}
	if (smtp_client_ehlo(c, &ehlo, err, errlen) != 0)
		goto out;
	if (ehlo.code / 100 != 2) {
		snprintf(err, errlen, "EHLO refused (%d)", ehlo.code);
		rc = ehlo.code / 100 == 4 ? -1 : TLS_SCAN_LINK_FINAL;
		goto out;
	}
	if (offers_pipelining(&ehlo))
		__atomic_store_n(&l->pipelining, 1, __ATOMIC_RELAXED);
	int s = smtp_client_starttls_raw(c, &reply, fd, err, errlen);
	if (s == 1)
		snprintf(err, errlen, "STARTTLS refused (%d)", reply.code);
	rc = s == 0 ? 0 : s == 1 && reply.code / 100 == 4 ? -1 : TLS_SCAN_LINK_FINAL;
out:
	smtp_reply_clear(&ehlo);
	smtp_reply_clear(&reply);
	if (rc != 0) {
		smtp_client_quit(c);
		smtp_client_close(c);
	} else {
		*conn = c;
	}
	return rc;
}

static void smtp_link_close(void *ctx, void *conn)
{
	(void)ctx;
	smtp_client_close(conn);
}

json_t *tls_scan_address(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
			 long long job_deadline)
{
	char ip[NETADDR_STRLEN], subject[NETADDR_STRLEN + 300];
	smtp_link_t l = { smtp_client_opts_for(cfg, host, addr, job_deadline), 0 };
	tls_scan_link_t link = { smtp_link_open, smtp_link_close, &l };

	netaddr_format(addr, ip, sizeof(ip));
	snprintf(subject, sizeof(subject), "%.256s[%s]", host, ip);
	long long deadline = job_deadline > 0 ? job_deadline : clock_ms() + 120000;
	/* as many hellos at once as the address may have connections */
	int parallel = cfg->connections_per_address < TLS_SCAN_MAX_PARALLEL ?
		       cfg->connections_per_address : TLS_SCAN_MAX_PARALLEL;
	return tls_scan_run(&link, host, subject, parallel, cfg->tls_timeout_ms, deadline);
}
