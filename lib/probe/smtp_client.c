/*
 * smtp_client.c - the probe's SMTP client: EHLO, HELO, STARTTLS, QUIT only.
 *
 * Trusts nothing from the server: replies go through the strict reader of
 * smtp_reply.c, every read and write has a deadline. Trusts its caller
 * only as far as the state machine allows: a command out of order, or a
 * verb outside the whitelist, is our own bug and panics.
 * One abort path (client_abort) and one free path (smtp_client_close).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/netio.h"
#include "probe/conn_limit.h"
#include "probe/guard.h"
#include "probe/smtp_client.h"

struct smtp_client {
	smtp_client_opts_t opts;
	char peer[NETADDR_STRLEN + 300];	/* "host[ip]" for logs */
	char *helo_name;
	conn_slot_t *slot;		/* conn_limit.h; NULL when unlimited */
	netio_t *io;
	smtp_state_t state;
	smtp_fail_t failure;
	long long connect_ms;
	json_t *transcript;
};

static const char *const smtp_state_names[] = {
	[SMTP_STATE_CONNECTED] = "connected",
	[SMTP_STATE_GREETED] = "greeted",
	[SMTP_STATE_READY] = "ready",
	[SMTP_STATE_TLS] = "tls",
	[SMTP_STATE_TLS_READY] = "tls-ready",
	[SMTP_STATE_QUIT] = "quit",
	[SMTP_STATE_ABORTED] = "aborted",
};

const char *smtp_state_name(smtp_state_t s)
{
	if ((unsigned)s < sizeof(smtp_state_names) / sizeof(smtp_state_names[0]))
		return smtp_state_names[s];
	return "?";
}

/* The whole vocabulary mxray may use toward a probed server (hard rule 1). */
static const char *const smtp_verbs_allowed[] = { "EHLO", "HELO", "STARTTLS", "QUIT" };

/* deadline - now + phase, capped by the job deadline. */
static long long deadline(const smtp_client_t *c, long long phase_ms)
{
	long long d = clock_ms() + phase_ms;
	if (c->opts.job_deadline > 0 && c->opts.job_deadline < d)
		d = c->opts.job_deadline;
	return d;
}

/* client_abort - the one abort path: remember why, stop talking. */
static int client_abort(smtp_client_t *c, smtp_fail_t why, const char *err)
{
	if (c->state != SMTP_STATE_ABORTED)
		log_debug("%s: SMTP session aborted in state %s: %s (%s)", c->peer,
			  smtp_state_name(c->state), err, smtp_fail_name(why));
	c->state = SMTP_STATE_ABORTED;
	c->failure = why;
	return -1;
}

/* arg_ok - 1 if an argument is non-empty printable ASCII without spaces:
 * nothing that could smuggle a second command (CR, LF) onto the line. */
static int arg_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* command_line - verb and arg as one guarded command line into line
 * (len bytes), recorded in the transcript; its length with CRLF. */
static size_t command_line(smtp_client_t *c, const char *verb, const char *arg, char *line,
			   size_t len)
{
	int allowed = 0;

	for (size_t i = 0; i < sizeof(smtp_verbs_allowed) / sizeof(smtp_verbs_allowed[0]); i++)
		if (strcmp(verb, smtp_verbs_allowed[i]) == 0)
			allowed = 1;
	if (!allowed)
		log_panic("smtp_send: refusing to send verb \"%.16s\" to %s: mxray speaks only "
			  "EHLO, HELO, STARTTLS and QUIT to probed servers", verb, c->peer);
	if (arg != NULL && !arg_ok(arg))
		log_panic("smtp_send: unsafe argument for %s to %s", verb, c->peer);
	int n = snprintf(line, len, "%s%s%s\r\n", verb, arg ? " " : "", arg ? arg : "");
	if (n < 0 || (size_t)n >= len)
		log_panic("smtp_send: command too long");
	smtp_transcript_add(c->transcript, "C", line, (size_t)n - 2);
	return (size_t)n;
}

/* write_lines - the only place that writes to the server: n bytes of
 * command lines made by command_line, in one write. */
static int write_lines(smtp_client_t *c, const char *lines, size_t n, char *err, size_t errlen)
{
	if (netio_write_all(c->io, lines, n, deadline(c, c->opts.command_timeout_ms), err,
			    errlen) != 0) {
		netio_error_t k = netio_error_kind(c->io);
		return client_abort(c, k == NETIO_ERR_TIMEOUT ? SMTP_FAIL_TIMEOUT :
				    k == NETIO_ERR_EOF ? SMTP_FAIL_EOF :
				    k == NETIO_ERR_TLS ? SMTP_FAIL_TLS : SMTP_FAIL_IO, err);
	}
	return 0;
}

/* smtp_send - one command. */
static int smtp_send(smtp_client_t *c, const char *verb, const char *arg, char *err,
		     size_t errlen)
{
	char line[600];
	size_t n = command_line(c, verb, arg, line, sizeof(line));
	return write_lines(c, line, n, err, errlen);
}

/* read_reply - one reply within phase_ms; aborts on failure. */
static int read_reply(smtp_client_t *c, long long phase_ms, const char *what,
		      smtp_reply_t *reply, char *err, size_t errlen)
{
	smtp_fail_t f;
	char why[512];

	if (smtp_reply_read(c->io, deadline(c, phase_ms), reply, c->transcript, &f, why,
			    sizeof(why)) == 0)
		return 0;
	if (f == SMTP_FAIL_TIMEOUT) {
		int job = c->opts.job_deadline > 0 && clock_ms() >= c->opts.job_deadline;
		if (job)
			snprintf(err, errlen, "no complete %s before the job deadline", what);
		else
			snprintf(err, errlen, "no complete %s within %lld ms (%s)", what, phase_ms,
				 strcmp(what, "greeting") == 0 ? "greeting timeout" :
				 "command timeout");
	} else {
		snprintf(err, errlen, "%s: %s", what, why);
	}
	return client_abort(c, f, err);
}

/* require - a command in the wrong state is our bug. */
static int require(smtp_client_t *c, const char *cmd, int ok, char *err, size_t errlen)
{
	if (c->state == SMTP_STATE_ABORTED) {
		snprintf(err, errlen, "%s: session already aborted", cmd);
		return -1;
	}
	if (!ok)
		log_panic("smtp_client: %s not allowed in state %s", cmd, smtp_state_name(c->state));
	return 0;
}

smtp_client_t *smtp_client_open(const smtp_client_opts_t *opts, smtp_fail_t *fail,
				char *err, size_t errlen)
{
	char ip[NETADDR_STRLEN];
	netio_error_t kind;

	if (!arg_ok(opts->helo_name)) {
		*fail = SMTP_FAIL_IO;
		snprintf(err, errlen, "[probe] helo_name must be a host name without spaces");
		return NULL;
	}
	if (probe_guard_refuse(opts->allow_networks, opts->addr, err, errlen)) {
		*fail = SMTP_FAIL_REFUSED;
		return NULL;
	}
	/* Hold back (hard rule 2): wait for a connection slot of this address. */
	conn_slot_t *slot = NULL;
	if (conn_limit_take(opts->addr, opts->port, opts->max_per_address, opts->slot_hold_ms,
			    opts->job_deadline, &slot, err, errlen) != 0) {
		*fail = SMTP_FAIL_NO_SLOT;
		return NULL;
	}
	smtp_client_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		log_panic("smtp_client_open: out of memory");
	c->slot = slot;
	c->opts = *opts;
	c->opts.addr = NULL;		/* not kept: the caller's memory */
	c->opts.allow_networks = NULL;
	c->opts.peer_name = NULL;
	c->opts.helo_name = NULL;
	c->helo_name = strdup(opts->helo_name);
	c->transcript = json_array();
	netaddr_format(opts->addr, ip, sizeof(ip));
	snprintf(c->peer, sizeof(c->peer), "%.256s[%s]:%d",
		 opts->peer_name ? opts->peer_name : "", ip, opts->port);

	long long t0 = clock_ms();
	c->io = netio_connect(opts->addr, opts->port, deadline(c, opts->connect_timeout_ms),
			      &kind, err, errlen);
	if (c->io == NULL) {
		*fail = kind == NETIO_ERR_TIMEOUT ? SMTP_FAIL_TIMEOUT : SMTP_FAIL_IO;
		if (kind == NETIO_ERR_TIMEOUT) {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "%s", err);
			snprintf(err, errlen, "%s (connect timeout %lld ms)", tmp,
				 opts->connect_timeout_ms);
		}
		smtp_client_close(c);
		return NULL;
	}
	c->connect_ms = clock_ms() - t0;
	c->state = SMTP_STATE_CONNECTED;
	*fail = SMTP_FAIL_NONE;
	log_debug("%s: connected in %lld ms", c->peer, c->connect_ms);
	return c;
}

void smtp_client_close(smtp_client_t *c)
{
	if (c == NULL)
		return;
	netio_free(c->io);
	conn_limit_give(c->slot);	/* after the close: the server sees it gone */
	json_decref(c->transcript);
	free(c->helo_name);
	free(c);
}

int smtp_client_greeting(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen)
{
	if (require(c, "greeting", c->state == SMTP_STATE_CONNECTED, err, errlen) != 0)
		return -1;
	if (read_reply(c, c->opts.greeting_timeout_ms, "greeting", reply, err, errlen) != 0)
		return -1;
	if (reply->code / 100 == 2)
		c->state = SMTP_STATE_GREETED;
	return 0;
}

/* hello - EHLO or HELO, before or after TLS. */
static int hello(smtp_client_t *c, const char *verb, smtp_reply_t *reply, char *err,
		 size_t errlen)
{
	int ok = c->state == SMTP_STATE_GREETED || c->state == SMTP_STATE_READY ||
		 c->state == SMTP_STATE_TLS;
	if (require(c, verb, ok, err, errlen) != 0)
		return -1;
	if (smtp_send(c, verb, c->helo_name, err, errlen) != 0)
		return -1;
	char what[32];
	snprintf(what, sizeof(what), "reply to %s", verb);
	if (read_reply(c, c->opts.command_timeout_ms, what, reply, err, errlen) != 0)
		return -1;
	if (reply->code / 100 == 2)
		c->state = c->state == SMTP_STATE_TLS ? SMTP_STATE_TLS_READY : SMTP_STATE_READY;
	return 0;
}

int smtp_client_ehlo(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen)
{
	return hello(c, "EHLO", reply, err, errlen);
}

int smtp_client_helo(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen)
{
	return hello(c, "HELO", reply, err, errlen);
}

int smtp_client_starttls(smtp_client_t *c, SSL *ssl, smtp_reply_t *reply, char *err,
			 size_t errlen)
{
	if (require(c, "STARTTLS", c->state == SMTP_STATE_READY, err, errlen) != 0) {
		SSL_free(ssl);
		return -1;
	}
	if (smtp_send(c, "STARTTLS", NULL, err, errlen) != 0 ||
	    read_reply(c, c->opts.command_timeout_ms, "reply to STARTTLS", reply, err,
		       errlen) != 0) {
		SSL_free(ssl);
		return -1;
	}
	if (reply->code != 220) {
		SSL_free(ssl);
		return 1;
	}
	char why[512];
	if (netio_start_tls(c->io, ssl, deadline(c, c->opts.tls_timeout_ms), why,
			    sizeof(why)) != 0) {
		netio_error_t k = netio_error_kind(c->io);
		if (k == NETIO_ERR_STATE)
			snprintf(err, errlen, "server sent data after its STARTTLS reply, before the "
				 "TLS handshake (%s)", why);
		else if (k == NETIO_ERR_TIMEOUT)
			snprintf(err, errlen, "TLS handshake not complete within %lld ms (tls timeout)",
				 c->opts.tls_timeout_ms);
		else
			snprintf(err, errlen, "%s", why);
		return client_abort(c, k == NETIO_ERR_TIMEOUT ? SMTP_FAIL_TIMEOUT :
				    k == NETIO_ERR_STATE ? SMTP_FAIL_PROTOCOL : SMTP_FAIL_TLS, err);
	}
	c->state = SMTP_STATE_TLS;
	return 0;
}

int smtp_client_starttls_raw(smtp_client_t *c, smtp_reply_t *reply, int *fd, char *err,
			     size_t errlen)
{
	if (require(c, "STARTTLS", c->state == SMTP_STATE_READY, err, errlen) != 0)
		return -1;
	if (smtp_send(c, "STARTTLS", NULL, err, errlen) != 0 ||
	    read_reply(c, c->opts.command_timeout_ms, "reply to STARTTLS", reply, err,
		       errlen) != 0)
		return -1;
	if (reply->code != 220)
		return 1;
	if (netio_pending(c->io) != 0) {
		snprintf(err, errlen, "server sent data after its STARTTLS reply, before the "
			 "TLS handshake");
		return client_abort(c, SMTP_FAIL_PROTOCOL, err);
	}
	c->state = SMTP_STATE_QUIT;	/* the socket now carries TLS: no more SMTP */
	*fd = netio_fd(c->io);
	return 0;
}

int smtp_client_ehlo_starttls_raw(smtp_client_t *c, smtp_reply_t *ehlo, smtp_reply_t *reply,
				  int *fd, char *err, size_t errlen)
{
	if (require(c, "EHLO", c->state == SMTP_STATE_GREETED, err, errlen) != 0)
		return -1;
	/* RFC 2920 3.1: STARTTLS may end a group; one write, so no Nagle wait
	 * holds the second line back for the first one's ACK */
	char lines[700];
	size_t n = command_line(c, "EHLO", c->helo_name, lines, sizeof(lines));
	n += command_line(c, "STARTTLS", NULL, lines + n, sizeof(lines) - n);
	if (write_lines(c, lines, n, err, errlen) != 0 ||
	    read_reply(c, c->opts.command_timeout_ms, "reply to EHLO", ehlo, err, errlen) != 0 ||
	    read_reply(c, c->opts.command_timeout_ms, "reply to STARTTLS", reply, err, errlen) != 0)
		return -1;
	if (ehlo->code / 100 != 2 || reply->code != 220) {
		c->state = SMTP_STATE_READY;	/* refused: only QUIT is left to say */
		return 1;
	}
	if (netio_pending(c->io) != 0) {
		snprintf(err, errlen, "server sent data after its STARTTLS reply, before the "
			 "TLS handshake");
		return client_abort(c, SMTP_FAIL_PROTOCOL, err);
	}
	c->state = SMTP_STATE_QUIT;
	*fd = netio_fd(c->io);
	return 0;
}

void smtp_client_quit(smtp_client_t *c)
{
	char err[256];
	smtp_reply_t reply;
	smtp_fail_t f;

	if (c == NULL || c->state == SMTP_STATE_ABORTED || c->state == SMTP_STATE_QUIT)
		return;
	if (smtp_send(c, "QUIT", NULL, err, sizeof(err)) != 0)
		return;
	c->state = SMTP_STATE_QUIT;
	long long wait = c->opts.command_timeout_ms < 5000 ? c->opts.command_timeout_ms : 5000;
	smtp_reply_init(&reply);
	if (smtp_reply_read(c->io, deadline(c, wait), &reply, c->transcript, &f, err,
			    sizeof(err)) != 0)
		log_debug("%s: no proper reply to QUIT: %s", c->peer, err);
	smtp_reply_clear(&reply);
}

smtp_state_t smtp_client_state(const smtp_client_t *c)
{
	return c->state;
}

smtp_fail_t smtp_client_failure(const smtp_client_t *c)
{
	return c->failure;
}

long long smtp_client_connect_ms(const smtp_client_t *c)
{
	return c->connect_ms;
}

json_t *smtp_client_transcript(const smtp_client_t *c)
{
	return c->transcript;
}

SSL *smtp_client_ssl(const smtp_client_t *c)
{
	return netio_ssl(c->io);
}

smtp_client_opts_t smtp_client_opts_for(const mxray_config_t *cfg, const char *host,
					const netaddr_t *addr, long long job_deadline)
{
	smtp_client_opts_t o = {
		.addr = addr,
		.port = cfg->smtp_port,
		.peer_name = host,
		.helo_name = cfg->helo_name,
		.allow_networks = &cfg->allow_networks,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.greeting_timeout_ms = cfg->greeting_timeout_ms,
		.command_timeout_ms = cfg->command_timeout_ms,
		.tls_timeout_ms = cfg->tls_timeout_ms,
		.job_deadline = job_deadline,
		.max_per_address = cfg->connections_per_address,
		/* no connection outlives its job; the margin covers clock skew */
		.slot_hold_ms = cfg->job_deadline_ms + 10000,
	};
	return o;
}
