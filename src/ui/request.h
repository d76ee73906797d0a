/*
 * The parts of request handling that do not depend on the HTTP library,
 * so that they can be tested and fuzzed alone: bounded form fields (fed
 * by libmicrohttpd's post processor, or by the query arguments), cookie
 * parsing, and the Host and Origin checks.
 */
#ifndef CTS_UI_REQUEST_H
#define CTS_UI_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* Bounds of one form. */
typedef struct {
	size_t max_fields; /* number of fields */
	size_t max_key;    /* bytes of a field name */
	size_t max_value;  /* bytes of a text field */
	size_t max_file;   /* bytes of a file field */
	size_t max_total;  /* bytes of all values together */
} ui_form_limits;

typedef struct ui_form ui_form;

/* A new empty form with these bounds. *out: ui_form_free. */
int ui_form_new(ui_form **out, const ui_form_limits *lim);
void ui_form_free(ui_form *f);

/* Add a chunk of a field's value, in the order of libmicrohttpd's post
 * processor: the chunks of one field come one after the other, `off`
 * being the bytes of that field already given (0 starts a new field).
 * filename != NULL marks a file field (its bytes may be anything); a text
 * field may not hold a NUL byte. Past a bound: CTS_ELIMIT; a chunk out of
 * order, a bad name or a NUL: CTS_EINVAL. The first error sticks
 * (ui_form_error) and later chunks are ignored. */
int ui_form_feed(ui_form *f, const char *key, const char *filename, const char *data, uint64_t off,
                 size_t size);

/* 0, or the first error of ui_form_feed. */
int ui_form_error(const ui_form *f);

/* The first text value of `key` (NUL-terminated), NULL if absent or a
 * file. Borrowed: valid until ui_form_free. */
const char *ui_form_get(const ui_form *f, const char *key);

/* The first file field `key`: its bytes, length and file name (may be
 * ""). 0, or CTS_ENOTFOUND. Borrowed. */
int ui_form_file(const ui_form *f, const char *key, const char **data, size_t *len,
                 const char **filename);

/* Number of fields, and field i's name and text value (NULL for a file). */
size_t ui_form_count(const ui_form *f);
const char *ui_form_key(const ui_form *f, size_t i);
const char *ui_form_value(const ui_form *f, size_t i);

/* The value of cookie `name` in a Cookie header ("a=b; c=d") copied into
 * out[outlen] (NUL-terminated). 0, or CTS_ENOTFOUND (absent, empty, or
 * longer than outlen - 1). */
int ui_cookie_get(const char *header, const char *name, char *out, size_t outlen);

/* 1 if a Host header names this server: exactly "127.0.0.1:PORT" or
 * "localhost:PORT" (case ignored), else 0 (DNS rebinding: a page of
 * another site resolved to 127.0.0.1 sends its own name). */
int ui_host_ok(const char *host, unsigned port);

/* 0 if an Origin header names another origin than this server
 * ("http://127.0.0.1:PORT" or "http://localhost:PORT"), else 1. No header
 * (scripts) and "null" give 1: browsers send "null" for every form posted
 * from a page with Referrer-Policy: no-referrer, ours included. */
int ui_origin_ok(const char *origin, unsigned port);

/* Constant-time comparison of two NUL-terminated secrets: 1 if equal. */
int ui_secret_equal(const char *a, const char *b);

#endif
