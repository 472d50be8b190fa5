/*
 * reply_dkim.h - DKIM-sign a composed reply with libopendkim, so mxray's
 * own replies pass the checks it runs on everyone else's mail.
 * Internal to lib/report (reply_compose calls it when [mail] dkim_key is set).
 */
#ifndef MXRAY_REPORT_REPLY_DKIM_H
#define MXRAY_REPORT_REPLY_DKIM_H

#include <stddef.h>
#include "base/strbuf.h"
#include "mail/config.h"

/* reply_dkim_sign - prepend a DKIM-Signature header to msg (a complete
 * message, CRLF lines, headers and body) signed with cfg's key, selector
 * and domain (the From domain when [mail] dkim_domain is empty). 0, or -1
 * with the reason in err (msg untouched). */
int reply_dkim_sign(const mxray_config_t *cfg, const char *from_domain, strbuf_t *msg,
		    char *err, size_t errlen);

#endif
