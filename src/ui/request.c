#include "request.h"

#include "error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
	char *key;
	char *value; /* NUL-terminated; may hold NUL bytes for a file */
	size_t len, cap;
	char *filename; /* NULL: text field */
} field;

struct ui_form {
	ui_form_limits lim;
	field *fields;
	size_t count, cap, total;
	int error;
};

int ui_form_new(ui_form **out, const ui_form_limits *lim)
{
	ui_form *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	f->lim = *lim;
	*out = f;
	return 0;
}

void ui_form_free(ui_form *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->count; i++) {
		/* Values may hold a passphrase: wiped before release. */
		if (f->fields[i].value)
			sodium_memzero(f->fields[i].value, f->fields[i].cap);
		free(f->fields[i].key);
		free(f->fields[i].value);
		free(f->fields[i].filename);
	}
	free(f->fields);
	free(f);
}

static int fail(ui_form *f, int code, const char *what)
{
	if (!f->error)
		f->error = cts_error_set(code, "%s", what);
	return f->error;
}

static int key_ok(const char *key, size_t max)
{
	size_t n = 0;

	for (; key[n]; n++) {
		unsigned char c = (unsigned char)key[n];
		if (n >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return n > 0;
}

static int new_field(ui_form *f, const char *key, const char *filename)
{
	field *fl;

	if (f->count >= f->lim.max_fields)
		return fail(f, CTS_ELIMIT, "formulaire trop long (trop de champs)");
	if (!key_ok(key, f->lim.max_key))
		return fail(f, CTS_EINVAL, "nom de champ de formulaire invalide");
	if (f->count == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		field *p = realloc(f->fields, cap * sizeof(*p));
		if (!p)
			return fail(f, CTS_ENOMEM, "mémoire insuffisante");
		f->fields = p;
		f->cap = cap;
	}
	fl = &f->fields[f->count];
	memset(fl, 0, sizeof(*fl));
	fl->key = strdup(key);
	fl->value = calloc(1, 1);
	fl->cap = 1;
	fl->filename = filename ? strndup(filename, 255) : NULL;
	f->count++;
	if (!fl->key || !fl->value || (filename && !fl->filename))
		return fail(f, CTS_ENOMEM, "mémoire insuffisante");
	return 0;
}

int ui_form_feed(ui_form *f, const char *key, const char *filename, const char *data, uint64_t off,
                 size_t size)
{
	field *fl;
	size_t max;
	char *p;

	if (f->error)
		return f->error;
	if (!key)
		return fail(f, CTS_EINVAL, "champ de formulaire sans nom");
	if (off == 0) {
		if (new_field(f, key, filename) < 0)
			return f->error;
	} else if (f->count == 0 || strcmp(f->fields[f->count - 1].key, key) != 0 ||
	           f->fields[f->count - 1].len != off) {
		return fail(f, CTS_EINVAL, "formulaire mal formé (morceaux dans le désordre)");
	}
	fl = &f->fields[f->count - 1];
	if (size == 0)
		return 0;
	if (!data)
		return fail(f, CTS_EINVAL, "formulaire mal formé");
	max = fl->filename ? f->lim.max_file : f->lim.max_value;
	if (size > max || fl->len > max - size)
		return fail(f, CTS_ELIMIT,
		            fl->filename ? "fichier trop gros" : "valeur de champ trop longue");
	if (size > f->lim.max_total || f->total > f->lim.max_total - size)
		return fail(f, CTS_ELIMIT, "formulaire trop gros");
	if (!fl->filename && memchr(data, '\0', size))
		return fail(f, CTS_EINVAL, "caractère nul dans un champ de formulaire");
	if (fl->len + size + 1 > fl->cap) {
		/* Grown by doubling; the old copy is wiped (a passphrase). */
		size_t cap = fl->cap ? fl->cap : 64;
		while (cap < fl->len + size + 1)
			cap *= 2;
		if (!(p = malloc(cap)))
			return fail(f, CTS_ENOMEM, "mémoire insuffisante");
		memcpy(p, fl->value, fl->len);
		sodium_memzero(fl->value, fl->cap);
		free(fl->value);
		fl->value = p;
		fl->cap = cap;
	}
	memcpy(fl->value + fl->len, data, size);
	fl->len += size;
	fl->value[fl->len] = '\0';
	f->total += size;
	return 0;
}

int ui_form_error(const ui_form *f)
{
	return f ? f->error : 0;
}

const char *ui_form_get(const ui_form *f, const char *key)
{
	if (!f || !key)
		return NULL;
	for (size_t i = 0; i < f->count; i++)
		if (!f->fields[i].filename && strcmp(f->fields[i].key, key) == 0)
			return f->fields[i].value;
	return NULL;
}

int ui_form_file(const ui_form *f, const char *key, const char **data, size_t *len,
                 const char **filename)
{
	for (size_t i = 0; f && i < f->count; i++) {
		if (f->fields[i].filename && strcmp(f->fields[i].key, key) == 0) {
			*data = f->fields[i].value;
			*len = f->fields[i].len;
			*filename = f->fields[i].filename;
			return 0;
		}
	}
	return CTS_ENOTFOUND;
}

size_t ui_form_count(const ui_form *f)
{
	return f ? f->count : 0;
}

const char *ui_form_key(const ui_form *f, size_t i)
{
	return f && i < f->count ? f->fields[i].key : NULL;
}

const char *ui_form_value(const ui_form *f, size_t i)
{
	return f && i < f->count && !f->fields[i].filename ? f->fields[i].value : NULL;
}

int ui_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (outlen)
		out[0] = '\0';
	if (!header || !nlen || !outlen)
		return CTS_ENOTFOUND;
	while (*p) {
		const char *end, *v;
		size_t vlen;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			v = p + nlen + 1;
			vlen = (size_t)(end - v);
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen == 0 || vlen >= outlen)
				return CTS_ENOTFOUND;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return CTS_ENOTFOUND;
}

/* "name:PORT" with name one of ours (case ignored) and PORT exactly ours. */
static int authority_ok(const char *s, size_t len, unsigned port)
{
	static const char *const names[] = { "127.0.0.1", "localhost" };
	char want[16];
	int plen = snprintf(want, sizeof(want), ":%u", port);

	for (size_t i = 0; i < 2; i++) {
		size_t nl = strlen(names[i]);
		if (len == nl + (size_t)plen && strncasecmp(s, names[i], nl) == 0 &&
		    memcmp(s + nl, want, (size_t)plen) == 0)
			return 1;
	}
	return 0;
}

int ui_host_ok(const char *host, unsigned port)
{
	return host && port && authority_ok(host, strlen(host), port);
}

int ui_origin_ok(const char *origin, unsigned port)
{
	/* Absent (scripts), or "null": browsers send "null" for a form posted
	 * from a page whose Referrer-Policy is no-referrer, ours included, so
	 * it tells nothing; Sec-Fetch-Site, the CSRF token and the SameSite
	 * cookie still refuse other sites. */
	if (!origin || strcmp(origin, "null") == 0)
		return 1;
	if (strncmp(origin, "http://", 7) != 0)
		return 0;
	return port && authority_ok(origin + 7, strlen(origin + 7), port);
}

int ui_secret_equal(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;

	if (!la || la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}
