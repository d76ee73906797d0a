/*
 * Canonical JSON (RFC 8785) for the changeset value domain: a strict,
 * depth-limited recursive-descent parser that builds jansson values, and a
 * serialiser writing into a cts_strbuf (json_dumps is not canonical).
 */
#include "jcs.h"

#include "error.h"
#include "strbuf.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(void)
{
	return cts_error_set(CTS_ENOMEM, "mémoire insuffisante pour le JSON canonique");
}

/* ---- parser ---- */

typedef struct {
	const unsigned char *s;
	size_t len, pos;
	cts_strbuf scratch; /* unescaped text of the current string, when it had escapes */
} parser;

static int perr_at(size_t off, const char *what)
{
	return cts_error_set(CTS_EINVAL, "JSON invalide à l'octet %zu : %s", off, what);
}

static int perr(const parser *p, const char *what)
{
	return perr_at(p->pos, what);
}

/* "valeur inattendue" naming the byte found (or the end of the text). */
static int perr_found(const parser *p, const char *what)
{
	if (p->pos >= p->len)
		return cts_error_set(CTS_EINVAL, "JSON invalide à l'octet %zu : %s, fin du texte",
		                     p->pos, what);
	unsigned char c = p->s[p->pos];
	if (c > 0x20 && c < 0x7f)
		return cts_error_set(CTS_EINVAL, "JSON invalide à l'octet %zu : %s, « %c » trouvé",
		                     p->pos, what, c);
	return cts_error_set(CTS_EINVAL, "JSON invalide à l'octet %zu : %s, octet 0x%02x trouvé",
	                     p->pos, what, c);
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int parse_value(parser *p, json_t **out, int depth);

/* Four hex digits at p->pos (after "\u"); esc is the offset of the backslash. */
static int hex4(parser *p, size_t esc, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->pos < 4)
		return perr_at(esc, "échappement \\u tronqué");
	for (int i = 0; i < 4; i++) {
		unsigned char c = p->s[p->pos + (size_t)i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return perr_at(esc, "échappement \\u sans quatre chiffres hexadécimaux");
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static void put_utf8(cts_strbuf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		cts_strbuf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		cts_strbuf_addn(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		cts_strbuf_addn(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		cts_strbuf_addn(b, u, 4);
	}
}

/* JSON's two-character escapes, read and written: the letter after the
 * backslash and the byte it stands for. "\\/" is read but never written
 * ('/' never reaches the writer's escape branch). */
static const char esc_letter[] = "\"\\/bfnrt";
static const char esc_byte[] = "\"\\/\b\f\n\r\t";
#define ESC_COUNT (sizeof(esc_letter) - 1)

/* One escape sequence at p->pos (the backslash), appended to p->scratch. */
static int parse_escape(parser *p)
{
	const char *e;
	cts_strbuf *b = &p->scratch;
	size_t esc = p->pos;
	unsigned cp, lo;
	int rc;

	if (p->len - p->pos < 2)
		return perr_at(esc, "échappement tronqué");
	unsigned char c = p->s[p->pos + 1];
	p->pos += 2;
	if ((e = memchr(esc_letter, c, ESC_COUNT)) != NULL) {
		cts_strbuf_addc(b, esc_byte[e - esc_letter]);
		return 0;
	}
	if (c != 'u')
		return perr_at(esc,
		               "échappement inconnu (seuls \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
	if ((rc = hex4(p, esc, &cp)) < 0)
		return rc;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return perr_at(esc, "demi-codet UTF-16 bas sans demi-codet haut avant lui");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		size_t esc2 = p->pos;
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return perr_at(esc, "demi-codet UTF-16 haut non suivi d'un demi-codet bas");
		p->pos += 2;
		if ((rc = hex4(p, esc2, &lo)) < 0)
			return rc;
		if (lo < 0xdc00 || lo > 0xdfff)
			return perr_at(esc, "demi-codet UTF-16 haut non suivi d'un demi-codet bas");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(b, cp);
	return 0;
}

/* A string at p->pos (the opening quote). On success (*str, *n) is its
 * unescaped value: a pointer into the input when the string had no escape
 * (*scratch = 0), else into p->scratch (*scratch = 1, valid until the next
 * string). Not NUL-terminated in the first case. */
static int parse_string(parser *p, const char **str, size_t *n, int *scratch)
{
	const unsigned char *s = p->s;
	size_t open = p->pos, run;
	int escaped = 0, rc;

	run = ++p->pos;
	for (;;) {
		if (p->pos >= p->len)
			return perr_at(open, "chaîne non terminée");
		unsigned char c = s[p->pos];
		if (c == '"')
			break;
		if (c >= 0x20 && c < 0x80 && c != '\\') {
			p->pos++;
			continue;
		}
		if (c == '\\') {
			if (!escaped) {
				p->scratch.len = 0;
				escaped = 1;
			}
			cts_strbuf_addn(&p->scratch, (const char *)s + run, p->pos - run);
			if ((rc = parse_escape(p)) < 0)
				return rc;
			run = p->pos;
			continue;
		}
		if (c < 0x20)
			return perr(p, "caractère de contrôle non échappé dans une chaîne");
		size_t k = cts_text_utf8_seq((const char *)s + p->pos, p->len - p->pos);
		if (!k)
			return perr(p, "UTF-8 invalide (séquence mal formée, trop longue, "
			               "demi-codet ou au-delà de U+10FFFF)");
		p->pos += k;
	}
	if (escaped) {
		cts_strbuf_addn(&p->scratch, (const char *)s + run, p->pos - run);
		if (p->scratch.oom)
			return oom();
		*str = p->scratch.ptr;
		*n = p->scratch.len;
	} else {
		*str = (const char *)s + run;
		*n = p->pos - run;
	}
	*scratch = escaped;
	p->pos++; /* closing quote */
	return 0;
}

static int parse_number(parser *p, json_t **out)
{
	size_t start = p->pos;
	int neg = 0;
	uint64_t v = 0;

	if (p->s[p->pos] == '-') {
		neg = 1;
		p->pos++;
	}
	if (p->pos >= p->len || !is_digit(p->s[p->pos]))
		return perr_found(p, "chiffre attendu");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len && is_digit(p->s[p->pos + 1]))
		return perr(p, "zéro non significatif en tête de nombre");
	while (p->pos < p->len && is_digit(p->s[p->pos])) {
		v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
		if (v > (uint64_t)CTS_JCS_MAX_INT)
			return perr_at(start, "entier hors de l'intervalle [-2^53, 2^53]");
		p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
		return perr(p, "nombre décimal ou exposant interdit (entiers seulement)");
	/* "-0" is the integer 0 (canonical form "0"). */
	*out = json_integer(neg ? -(json_int_t)v : (json_int_t)v);
	return *out ? 0 : oom();
}

static int literal(parser *p, const char *word, size_t n, json_t *v, json_t **out)
{
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return perr(p, "littéral mal écrit (« true », « false » ou « null » attendu)");
	p->pos += n;
	*out = v;
	return 0;
}

/* After a member or an element: 1 on ',' (another one follows), 0 on
 * `close` (the container ends), either one consumed; else the error `what`. */
static int next_or_close(parser *p, char close, const char *what)
{
	skip_ws(p);
	if (p->pos < p->len && (p->s[p->pos] == ',' || p->s[p->pos] == close))
		return p->s[p->pos++] == ',';
	return perr_found(p, what);
}

/* One member of an object ("key": value) at p->pos into obj. */
static int object_member(parser *p, json_t *obj, int depth)
{
	json_t *v = NULL;
	const char *key;
	char small[64], *heap = NULL;
	size_t klen, kpos;
	int in_scratch, rc;

	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '"')
		return perr_found(p, "clé d'objet (chaîne) attendue");
	kpos = p->pos;
	if ((rc = parse_string(p, &key, &klen, &in_scratch)) < 0)
		return rc;
	for (size_t i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c >= 0x80 || c == 0)
			return perr_at(kpos, c ? "clé d'objet non ASCII"
			                       : "clé d'objet contenant U+0000");
	}
	if (json_object_getn(obj, key, klen))
		return perr_at(kpos, "clé d'objet en double");
	if (in_scratch) {
		/* The value's strings will reuse the scratch buffer. */
		if (klen < sizeof(small)) {
			memcpy(small, key, klen);
			key = small;
		} else {
			if (!(heap = malloc(klen)))
				return oom();
			memcpy(heap, key, klen);
			key = heap;
		}
	}
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':') {
		rc = perr_found(p, "« : » attendu après la clé");
	} else {
		p->pos++;
		if ((rc = parse_value(p, &v, depth)) == 0 &&
		    json_object_setn_new_nocheck(obj, key, klen, v) < 0) /* steals v */
			rc = oom();
	}
	free(heap);
	return rc;
}

/* One element of an array at p->pos into arr. */
static int array_element(parser *p, json_t *arr, int depth)
{
	json_t *v = NULL;
	int rc;

	if ((rc = parse_value(p, &v, depth)) < 0)
		return rc;
	if (json_array_append_new(arr, v) < 0) /* steals v */
		return oom();
	return 0;
}

/* A container at p->pos (its opening character) into c, a new object or
 * array (NULL: out of memory): its items read by item, separated by ','
 * and ended by close (what: the error when neither follows an item);
 * depth counts it. *out = c, or c released on error. */
static int parse_container(parser *p, json_t *c, char close, const char *what,
                           int (*item)(parser *p, json_t *c, int depth), int depth, json_t **out)
{
	int rc;

	if (!c)
		return oom();
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		*out = c;
		return 0;
	}
	do
		rc = item(p, c, depth);
	while (rc == 0 && (rc = next_or_close(p, close, what)) > 0);
	if (rc < 0) {
		json_decref(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* depth: number of arrays/objects enclosing this value. */
static int parse_value(parser *p, json_t **out, int depth)
{
	const char *str;
	size_t n;
	int rc, in_scratch;

	*out = NULL;
	skip_ws(p);
	if (p->pos >= p->len)
		return perr(p, "texte tronqué, valeur attendue");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (depth >= CTS_JCS_MAX_DEPTH)
			return cts_error_set(CTS_ELIMIT,
			                     "JSON trop imbriqué à l'octet %zu : plus de %d "
			                     "tableaux ou objets emboîtés",
			                     p->pos, CTS_JCS_MAX_DEPTH);
		return p->s[p->pos] == '{'
		           ? parse_container(p, json_object(), '}',
		                             "« , » ou « } » attendu dans l'objet", object_member,
		                             depth + 1, out)
		           : parse_container(p, json_array(), ']',
		                             "« , » ou « ] » attendu dans le tableau",
		                             array_element, depth + 1, out);
	case '"':
		if ((rc = parse_string(p, &str, &n, &in_scratch)) < 0)
			return rc;
		*out = json_stringn_nocheck(str, n);
		return *out ? 0 : oom();
	case 't':
		return literal(p, "true", 4, json_true(), out);
	case 'f':
		return literal(p, "false", 5, json_false(), out);
	case 'n':
		return literal(p, "null", 4, json_null(), out);
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p, out);
		return perr_found(p, "valeur attendue");
	}
}

int cts_jcs_parse(json_t **out, const char *buf, size_t len)
{
	parser p = { (const unsigned char *)buf, len, 0, { 0 } };
	int rc;

	*out = NULL;
	if (len > CTS_JCS_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "JSON trop volumineux : %zu octets (maximum %u)",
		                     len, CTS_JCS_MAX_BYTES);
	if (!buf && len)
		return cts_error_set(CTS_ERR, "cts_jcs_parse : tampon NULL");
	rc = parse_value(&p, out, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != len) {
			json_decref(*out);
			*out = NULL;
			rc = perr_found(&p, "contenu après la fin de la valeur JSON");
		}
	}
	free(p.scratch.ptr);
	return rc;
}

/* ---- serialiser ---- */

typedef struct {
	const char *key; /* NULL: array element */
	size_t klen, idx;
} seg_t;

typedef struct {
	cts_strbuf b;
	int depth;                         /* containers open */
	seg_t path[CTS_JCS_MAX_DEPTH + 1]; /* path[i]: member of container i */
} dumper;

typedef struct {
	const char *key;
	size_t klen;
	json_t *val;
} member_t;

/* Refuse with the path of the offending value, e.g. "/ops/0/set/nom". */
static int derr(const dumper *d, int code, const char *what)
{
	char path[256];
	size_t o = 0;

	path[0] = '\0';
	for (int i = 0; i < d->depth && o < sizeof(path) - 1; i++) {
		const seg_t *s = &d->path[i];
		int w;
		if (s->key)
			w = snprintf(path + o, sizeof(path) - o, "/%.*s",
			             (int)(s->klen > 40 ? 40 : s->klen), s->key);
		else
			w = snprintf(path + o, sizeof(path) - o, "/%zu", s->idx);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	return cts_error_set(code, "JSON non sérialisable en « %s » : %s", o ? path : "/", what);
}

static void dump_string(cts_strbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	cts_strbuf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		cts_strbuf_addn(b, s + run, i - run);
		run = i + 1;
		if ((e = memchr(esc_byte, c, ESC_COUNT)) != NULL) {
			cts_strbuf_addc(b, '\\');
			cts_strbuf_addc(b, esc_letter[e - esc_byte]);
			continue;
		}
		u[0] = '\\';
		u[1] = 'u';
		u[2] = '0';
		u[3] = '0';
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		cts_strbuf_addn(b, u, 6);
	}
	cts_strbuf_addn(b, s + run, n - run);
	cts_strbuf_addc(b, '"');
}

static int member_cmp(const void *a, const void *b)
{
	const member_t *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int dump_value(dumper *d, const json_t *v);

static int dump_object(dumper *d, const json_t *v)
{
	size_t n = json_object_size(v), i = 0, klen;
	member_t *m;
	const char *k;
	json_t *x;
	int rc = 0;

	if (n == 0) {
		cts_strbuf_addn(&d->b, "{}", 2);
		return 0;
	}
	m = malloc(n * sizeof(*m));
	if (!m)
		return oom();
	json_object_keylen_foreach((json_t *)v, k, klen, x)
	{
		if (i == n)
			break;
		for (size_t j = 0; j < klen; j++) {
			unsigned char c = (unsigned char)k[j];
			if (c >= 0x80 || c == 0) {
				d->path[d->depth] = (seg_t){ k, j, 0 };
				d->depth++;
				rc = derr(d, CTS_EINVAL,
				          c ? "clé d'objet non ASCII"
				            : "clé d'objet contenant U+0000");
				d->depth--;
				goto out;
			}
		}
		m[i++] = (member_t){ k, klen, x };
	}
	n = i;
	qsort(m, n, sizeof(*m), member_cmp);
	cts_strbuf_addc(&d->b, '{');
	d->depth++;
	for (i = 0; i < n; i++) {
		if (i)
			cts_strbuf_addc(&d->b, ',');
		dump_string(&d->b, m[i].key, m[i].klen);
		cts_strbuf_addc(&d->b, ':');
		d->path[d->depth - 1] = (seg_t){ m[i].key, m[i].klen, 0 };
		if ((rc = dump_value(d, m[i].val)) < 0)
			break;
	}
	d->depth--;
	cts_strbuf_addc(&d->b, '}');
out:
	free(m);
	return rc;
}

static int dump_array(dumper *d, const json_t *v)
{
	size_t i, n = json_array_size(v);
	int rc;

	cts_strbuf_addc(&d->b, '[');
	d->depth++;
	for (i = 0; i < n; i++) {
		if (i)
			cts_strbuf_addc(&d->b, ',');
		d->path[d->depth - 1] = (seg_t){ NULL, 0, i };
		if ((rc = dump_value(d, json_array_get(v, i))) < 0) {
			d->depth--;
			return rc;
		}
	}
	d->depth--;
	cts_strbuf_addc(&d->b, ']');
	return 0;
}

static int dump_value(dumper *d, const json_t *v)
{
	char num[32];

	if (!v)
		return derr(d, CTS_EINVAL, "valeur absente (NULL)");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (d->depth >= CTS_JCS_MAX_DEPTH) {
			char what[80];
			snprintf(what, sizeof(what), "plus de %d tableaux ou objets emboîtés",
			         CTS_JCS_MAX_DEPTH);
			return derr(d, CTS_ELIMIT, what);
		}
		return json_is_object(v) ? dump_object(d, v) : dump_array(d, v);
	case JSON_STRING:
		if (!cts_text_utf8_valid(json_string_value(v), json_string_length(v)))
			return derr(d, CTS_EINVAL, "chaîne en UTF-8 invalide");
		dump_string(&d->b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		if (n > CTS_JCS_MAX_INT || n < -CTS_JCS_MAX_INT)
			return derr(d, CTS_EINVAL, "entier hors de l'intervalle [-2^53, 2^53]");
		int w = snprintf(num, sizeof(num), "%lld", (long long)n);
		cts_strbuf_addn(&d->b, num, (size_t)w);
		return 0;
	}
	case JSON_TRUE:
		cts_strbuf_addn(&d->b, "true", 4);
		return 0;
	case JSON_FALSE:
		cts_strbuf_addn(&d->b, "false", 5);
		return 0;
	case JSON_NULL:
		cts_strbuf_addn(&d->b, "null", 4);
		return 0;
	case JSON_REAL:
		return derr(d, CTS_EINVAL, "nombre décimal interdit (entiers seulement)");
	}
	return derr(d, CTS_ERR, "type jansson inconnu");
}

int cts_jcs_dump(char **out, size_t *len, const json_t *value)
{
	dumper d;
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	memset(&d, 0, sizeof(d));
	cts_strbuf_addn(&d.b, "", 0);
	if ((rc = dump_value(&d, value)) < 0) {
		free(d.b.ptr);
		return rc;
	}
	if (d.b.oom) {
		free(d.b.ptr);
		return oom();
	}
	*out = d.b.ptr;
	if (len)
		*len = d.b.len;
	return 0;
}

/* Parse, dump and compare. Returns <0 (error set by the parse or the dump),
 * 1 if canonical, 0 if not with *diff the first differing offset. *out
 * receives the value when out is not NULL, else it is released. */
static int canon_check(json_t **out, const char *buf, size_t len, size_t *diff)
{
	json_t *v = NULL;
	char *c = NULL;
	size_t clen = 0, i = 0, n;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = cts_jcs_parse(&v, buf, len)) < 0)
		return rc;
	if ((rc = cts_jcs_dump(&c, &clen, v)) < 0) {
		json_decref(v);
		return rc;
	}
	n = clen < len ? clen : len;
	if (clen == len && memcmp(c, buf, len) == 0) {
		rc = 1;
	} else {
		while (i < n && c[i] == buf[i])
			i++;
		*diff = i;
		rc = 0;
	}
	free(c);
	if (out)
		*out = v;
	else
		json_decref(v);
	return rc;
}

int cts_jcs_parse_canonical(json_t **out, const char *buf, size_t len)
{
	size_t diff = 0;
	int rc = canon_check(out, buf, len, &diff);

	if (rc < 0)
		return rc;
	if (rc == 0) {
		json_decref(*out);
		*out = NULL;
		return cts_error_set(CTS_EINVAL,
		                     "JSON non canonique à l'octet %zu : la forme canonique "
		                     "(RFC 8785) diffère à partir de cet octet",
		                     diff);
	}
	return 0;
}

int cts_jcs_is_canonical(const char *buf, size_t len)
{
	size_t diff;

	return canon_check(NULL, buf, len, &diff);
}
