/*
 * Canonical JSON (RFC 8785, "JCS"), restricted to the changeset value
 * domain: strings, integers with |n| <= 2^53, booleans, null, arrays and
 * objects with ASCII keys. A strict parser that refuses everything else,
 * and a serialiser that writes exactly the canonical bytes.
 */
#ifndef CTS_JCS_H
#define CTS_JCS_H

#include <jansson.h>
#include <stddef.h>

#define CTS_JCS_MAX_BYTES (16u * 1024 * 1024)
#define CTS_JCS_MAX_DEPTH 32
#define CTS_JCS_MAX_INT 9007199254740992LL /* 2^53 */

/* Parse `len` bytes strictly. *out is a new reference (json_decref).
 * Refused (CTS_EINVAL, or CTS_ELIMIT for size/depth), with the byte offset
 * in the message ("-0" is read as 0, whose canonical form is "0"): floats and exponents, integers beyond 2^53, leading
 * zeros, duplicate keys, non-ASCII keys, lone surrogates, invalid or
 * overlong UTF-8, control characters in strings, trailing garbage,
 * truncation, nesting deeper than CTS_JCS_MAX_DEPTH. */
int cts_jcs_parse(json_t **out, const char *buf, size_t len);

/* Serialise canonically. *out is malloc'd and NUL-terminated; *len
 * excludes the NUL. Refuses reals, integers beyond 2^53, non-ASCII keys,
 * invalid UTF-8 and excessive depth. */
int cts_jcs_dump(char **out, size_t *len, const json_t *value);

/* 1 if buf is exactly the canonical form of its own parse, 0 if it parses
 * but is not canonical, negative (error set) if it does not parse. */
int cts_jcs_is_canonical(const char *buf, size_t len);

/* Strict UTF-8 check (no overlong forms, no surrogates, <= U+10FFFF). */
int cts_utf8_valid(const char *s, size_t len);

#endif
