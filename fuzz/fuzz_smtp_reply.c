/*
 * fuzz_smtp_reply.c - libFuzzer target: arbitrary server bytes split into
 * lines and fed to the strict SMTP reply parser, as a probed server would;
 * every complete reply is also read as an EHLO reply (ehlo_extensions).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/record.h"
#include "probe/ehlo.h"
#include "probe/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	smtp_reply_t r;
	smtp_reply_init(&r);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		int rc = smtp_reply_add_line(&r, (const char *)data + start, len, err, sizeof(err));
		if (rc <= 0) {
			if (rc == 0) {
				json_t *lines = json_array();
				for (size_t k = 0; k < r.count; k++) {
					const char *t = smtp_reply_text(&r, k);
					if (k > 0)
						json_array_append_new(lines, record_text(t, strlen(t)));
				}
				json_t *e = ehlo_extensions(lines, "ehlo");
				if (e == NULL || !json_is_array(json_object_get(e, "keywords")))
					abort();
				json_decref(e);
				json_decref(lines);
				free(smtp_reply_joined(&r));
			}
			smtp_reply_clear(&r);
		}
		start = i + 1;
	}
	smtp_reply_clear(&r);
	return 0;
}
