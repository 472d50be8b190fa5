/*
 * reply.h - the reply mail that tells a tester where their report is.
 *
 * reply_compose builds the whole message (RFC 5322, CRLF line ends,
 * multipart/alternative: plain text and a small HTML part, both 7-bit)
 * from the config and a stored report; reply_submit hands it to the local
 * MTA per [mail] submit. Nothing from the report reaches a
 * header unchecked: the recipient must look like a plain address, the
 * test mail's Message-ID like a plain <left@right>, the domain is cut to
 * printable ASCII; a CR or LF never gets into the message from a value.
 * Who may get a reply (null sender, rate limits, RFC 3834) is decided
 * before: reply_recipient only refuses what cannot be a mailbox.
 */
#ifndef MXRAY_REPORT_REPLY_H
#define MXRAY_REPORT_REPLY_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "base/strbuf.h"
#include "mail/config.h"

#define REPLY_ADDRESS_MAX 254

/* reply_recipient - the address to reply to: the report's "reply_to", which
 * the milter set by the reply policy (null: do not reply); NULL when it is
 * null or missing (never message.mail_from: that would bypass the policy),
 * and for anything that is not a plausible address (borrowed from report). */
const char *reply_recipient(const json_t *report);
/* reply_address_ok - 1 if s is a plain local@domain address we can put in
 * a header and an SMTP command, else 0. */
int reply_address_ok(const char *s);
/* reply_msgid_ok - 1 if s is a plain "<left@right>" message id, else 0. */
int reply_msgid_ok(const char *s);
/* reply_from_address - the bare address of "Name <addr>" or "addr" into
 * buf; 0, or -1 if it is not a plausible address. */
int reply_from_address(const char *from, char *buf, size_t len);

/* reply_compose - the reply to rcpt for report, dated now, into out;
 * 0, or -1 with the reason in err (not a format-1 report, no valid token,
 * bad recipient, bad [mail] from, a DKIM key that cannot sign). With
 * [mail] dkim_key set, the message is DKIM-signed (reply_dkim.h). */
int reply_compose(const mxray_config_t *cfg, const json_t *report, const char *rcpt,
		  time_t now, strbuf_t *out, char *err, size_t errlen);

/* reply_submit - (the caller must ignore SIGPIPE: a sendmail child may exit
 * before reading everything) submit msg (CRLF lines) to rcpt per cfg->mail_submit:
 * "smtp://HOST:PORT" (or smtps://) through libcurl, envelope sender the
 * address of cfg->mail_from; or "sendmail:/PATH" run as
 * PATH -i -f FROM -- RCPT. 0, or -1 with the reason in err.
 * Callers ignore SIGPIPE and call curl_global_init once at start. */
int reply_submit(const mxray_config_t *cfg, const char *rcpt, const char *msg, size_t len,
		 char *err, size_t errlen);

#endif
