/*
 * Canonical JSON (RFC 8785, "JCS"), restricted to the changeset value
 * domain (SPEC §3): strings, integers with |n| <= 2^53, booleans, null,
 * arrays and objects with ASCII keys. A strict parser that refuses
 * everything else, and a serialiser that writes exactly the canonical bytes.
 *
 * Byte offsets in error messages count from 0 (the first byte is "octet 0").
 */
#ifndef CTS_JCS_H
#define CTS_JCS_H

#include <jansson.h>
#include <stddef.h>

#define CTS_JCS_MAX_BYTES (16u * 1024 * 1024) /* larger input is refused */
#define CTS_JCS_MAX_DEPTH 32                  /* nested arrays/objects */
#define CTS_JCS_MAX_INT 9007199254740992LL    /* 2^53: |n| <= this */

/* Parse `len` bytes strictly into a new jansson value.
 * On success *out is a new reference owned by the caller (json_decref);
 * on failure *out is NULL and the error is set.
 * Accepted: the JSON grammar (RFC 8259) with JSON whitespace anywhere, minus:
 *  - numbers with a fraction or an exponent ('.', 'e', 'E'), integers with
 *    |n| > 2^53, leading zeros ("01", "-01"); "-0" is read as 0 (whose
 *    canonical form is "0", so cts_jcs_is_canonical() says 0 for it);
 *  - duplicate object keys (compared after unescaping), keys that are not
 *    ASCII or that contain U+0000;
 *  - lone or misordered UTF-16 surrogates in \u escapes, unknown escapes;
 *  - invalid UTF-8 (see cts_text_utf8_valid), raw control characters < 0x20
 *    inside strings;
 *  - anything but JSON whitespace after the value, truncated text, empty text.
 * String values may contain U+0000 (written \u0000): use json_string_length().
 * Errors: CTS_EINVAL with "JSON invalide à l'octet N : ..."; CTS_ELIMIT when
 * len > CTS_JCS_MAX_BYTES (checked before reading anything) or when more than
 * CTS_JCS_MAX_DEPTH arrays/objects are nested (offset of the refused bracket);
 * CTS_ENOMEM. */
int cts_jcs_parse(json_t **out, const char *buf, size_t len);

/* Like cts_jcs_parse(), and also refuses (CTS_EINVAL) a text that is not
 * byte-for-byte its own canonical form (whitespace, key order, "\/",
 * needless \u escapes, uppercase hex, "-0", trailing newline...), naming the
 * offset of the first byte that differs. One parse: use this on the import
 * path rather than cts_jcs_parse() followed by cts_jcs_is_canonical(). */
int cts_jcs_parse_canonical(json_t **out, const char *buf, size_t len);

/* Serialise `value` canonically: no whitespace, object members sorted by key
 * (bytewise, which for ASCII keys is RFC 8785's UTF-16 order), strings
 * escaping only '"', '\\' and U+0000..U+001F (\b \t \n \f \r, otherwise
 * \u00xx in lowercase hex), everything else as raw UTF-8, integers in plain
 * decimal, true/false/null.
 * On success *out is malloc'd, owned by the caller (free), NUL-terminated;
 * *len (if len is not NULL) is the byte count without the NUL. On failure
 * *out is NULL. Refuses with CTS_EINVAL, naming the path of the bad value
 * (e.g. "/ops/0/set/nom"): NULL value, reals, integers beyond 2^53, keys that
 * are not ASCII or contain U+0000, strings with invalid UTF-8; CTS_ELIMIT
 * beyond CTS_JCS_MAX_DEPTH nested arrays/objects (which also stops cycles). */
int cts_jcs_dump(char **out, size_t *len, const json_t *value);

/* 1 if buf[0..len) is exactly the canonical form of its own parse, 0 if it
 * parses but is not canonical (no error recorded), negative (error set as by
 * cts_jcs_parse) if it does not parse. */
int cts_jcs_is_canonical(const char *buf, size_t len);

#endif
