/*
 * token.h - unguessable identifiers for report links.
 *
 * A token is TOKEN_BYTES random bytes from OpenSSL's CSPRNG (seeded by the
 * OS), encoded base64url without padding: 24 bytes = 192 bits = 32 chars.
 */
#ifndef MXRAY_BASE_TOKEN_H
#define MXRAY_BASE_TOKEN_H

#include <stddef.h>

#define TOKEN_BYTES 24
#define TOKEN_CHARS 32
#define TOKEN_BUFSIZE (TOKEN_CHARS + 1)

int token_new(char out[TOKEN_BUFSIZE]);	/* 0 ok, -1 if the CSPRNG failed */
/* token_valid - 1 if s has exactly the shape of a token, else 0. */
int token_valid(const char *s);

#endif
