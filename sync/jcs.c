#include "jcs.h"

#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (avail < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (avail < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0; /* > U+10FFFF */
		return 4;
	}
	return 0;
}

int cts_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

/* ---- growable buffer ---- */

typedef struct {
	char *p;
	size_t len, cap;
	int oom;
} buf_t;

static void put(buf_t *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void putc1(buf_t *b, char c)
{
	put(b, &c, 1);
}

/* ---- parser ---- */

typedef struct {
	const unsigned char *s;
	size_t len, pos;
	buf_t scratch;
} parser;

static int perr(parser *p, const char *what)
{
	return cts_error_set(CTS_EINVAL, "JSON invalide à l'octet %zu : %s", p->pos, what);
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

static int parse_value(parser *p, json_t **out, int depth);

static int hex4(parser *p, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->pos < 4)
		return perr(p, "échappement \\u tronqué");
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
			return perr(p, "échappement \\u invalide");
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static void put_utf8(buf_t *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		putc1(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 4);
	}
}

/* Parse a string (p->pos at the opening quote) into p->scratch. */
static int parse_string(parser *p)
{
	buf_t *b = &p->scratch;

	b->len = 0;
	put(b, "", 0);
	p->pos++;
	for (;;) {
		if (p->pos >= p->len)
			return perr(p, "chaîne non terminée");
		unsigned char c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return perr(p, "caractère de contrôle non échappé dans une chaîne");
		if (c == '\\') {
			if (++p->pos >= p->len)
				return perr(p, "échappement tronqué");
			c = p->s[p->pos++];
			switch (c) {
			case '"': putc1(b, '"'); break;
			case '\\': putc1(b, '\\'); break;
			case '/': putc1(b, '/'); break;
			case 'b': putc1(b, '\b'); break;
			case 'f': putc1(b, '\f'); break;
			case 'n': putc1(b, '\n'); break;
			case 'r': putc1(b, '\r'); break;
			case 't': putc1(b, '\t'); break;
			case 'u': {
				unsigned cp, lo;
				int rc;
				if ((rc = hex4(p, &cp)) < 0)
					return rc;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return perr(p, "demi-codet UTF-16 isolé");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
						return perr(p, "demi-codet UTF-16 isolé");
					p->pos += 2;
					if ((rc = hex4(p, &lo)) < 0)
						return rc;
					if (lo < 0xdc00 || lo > 0xdfff)
						return perr(p, "demi-codet UTF-16 isolé");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				put_utf8(b, cp);
				break;
			}
			default:
				return perr(p, "échappement inconnu");
			}
			continue;
		}
		size_t n = utf8_seq(p->s + p->pos, p->len - p->pos);
		if (!n)
			return perr(p, "UTF-8 invalide");
		put(b, (const char *)p->s + p->pos, n);
		p->pos += n;
	}
	if (b->oom)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
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
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return perr(p, "nombre invalide");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
		return perr(p, "zéro non significatif");
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
		if (v > (uint64_t)CTS_JCS_MAX_INT) {
			p->pos = start;
			return perr(p, "entier hors de l'intervalle ±2^53");
		}
		p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
		return perr(p, "nombre décimal ou exposant interdit (entiers seulement)");
	/* "-0" is the integer 0 (its canonical form is "0"). */
	*out = json_integer(neg ? -(json_int_t)v : (json_int_t)v);
	return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

static int literal(parser *p, const char *word, json_t *v, json_t **out)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return perr(p, "valeur inattendue");
	p->pos += n;
	*out = v;
	return 0;
}

static int parse_object(parser *p, json_t **out, int depth)
{
	json_t *obj = json_object();
	int rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		*out = obj;
		return 0;
	}
	for (;;) {
		json_t *v = NULL;
		char *key;

		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			rc = perr(p, "clé attendue");
			goto fail;
		}
		if ((rc = parse_string(p)) < 0)
			goto fail;
		for (size_t i = 0; i < p->scratch.len; i++) {
			unsigned char c = (unsigned char)p->scratch.p[i];
			if (c >= 0x80 || c == 0) {
				rc = perr(p, "clé non ASCII");
				goto fail;
			}
		}
		if (json_object_get(obj, p->scratch.p)) {
			rc = perr(p, "clé en double");
			goto fail;
		}
		key = strdup(p->scratch.p);
		if (!key) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			goto fail;
		}
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			free(key);
			rc = perr(p, "« : » attendu");
			goto fail;
		}
		p->pos++;
		if ((rc = parse_value(p, &v, depth + 1)) < 0) {
			free(key);
			goto fail;
		}
		json_object_set_new_nocheck(obj, key, v);
		free(key);
		skip_ws(p);
		if (p->pos >= p->len) {
			rc = perr(p, "objet non terminé");
			goto fail;
		}
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == '}') {
			p->pos++;
			break;
		}
		rc = perr(p, "« , » ou « } » attendu");
		goto fail;
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return rc;
}

static int parse_array(parser *p, json_t **out, int depth)
{
	json_t *arr = json_array();
	int rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		*out = arr;
		return 0;
	}
	for (;;) {
		json_t *v = NULL;
		if ((rc = parse_value(p, &v, depth + 1)) < 0)
			goto fail;
		json_array_append_new(arr, v);
		skip_ws(p);
		if (p->pos >= p->len) {
			rc = perr(p, "tableau non terminé");
			goto fail;
		}
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == ']') {
			p->pos++;
			break;
		}
		rc = perr(p, "« , » ou « ] » attendu");
		goto fail;
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return rc;
}

static int parse_value(parser *p, json_t **out, int depth)
{
	*out = NULL;
	if (depth > CTS_JCS_MAX_DEPTH)
		return cts_error_set(CTS_ELIMIT, "JSON trop imbriqué (plus de %d niveaux) à l'octet %zu", CTS_JCS_MAX_DEPTH, p->pos);
	skip_ws(p);
	if (p->pos >= p->len)
		return perr(p, "texte tronqué");
	switch (p->s[p->pos]) {
	case '{':
		return parse_object(p, out, depth);
	case '[':
		return parse_array(p, out, depth);
	case '"': {
		int rc = parse_string(p);
		if (rc < 0)
			return rc;
		*out = json_stringn_nocheck(p->scratch.p, p->scratch.len);
		return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	case 't':
		return literal(p, "true", json_true(), out);
	case 'f':
		return literal(p, "false", json_false(), out);
	case 'n':
		return literal(p, "null", json_null(), out);
	default:
		if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			return parse_number(p, out);
		return perr(p, "valeur inattendue");
	}
}

int cts_jcs_parse(json_t **out, const char *buf, size_t len)
{
	parser p = { (const unsigned char *)buf, len, 0, { 0 } };
	int rc;

	*out = NULL;
	if (len > CTS_JCS_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "JSON trop gros (%zu octets, maximum %u)", len, CTS_JCS_MAX_BYTES);
	rc = parse_value(&p, out, 1);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != len) {
			json_decref(*out);
			*out = NULL;
			rc = perr(&p, "contenu après la fin du JSON");
		}
	}
	free(p.scratch.p);
	return rc;
}

/* ---- serialiser ---- */

static void dump_string(buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc1(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\f': esc = "\\f"; break;
		case '\r': esc = "\\r"; break;
		default:
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 0xf];
			put(b, u, 6);
			continue;
		}
		put(b, esc, 2);
	}
	put(b, s + run, n - run);
	putc1(b, '"');
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dump_value(buf_t *b, const json_t *v, int depth)
{
	char num[32];
	int rc;

	if (depth > CTS_JCS_MAX_DEPTH)
		return cts_error_set(CTS_ELIMIT, "JSON trop imbriqué (plus de %d niveaux)", CTS_JCS_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		const char *k;
		json_t *x;

		if (!keys)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		json_object_foreach((json_t *)v, k, x) {
			for (const char *c = k; *c; c++)
				if ((unsigned char)*c >= 0x80) {
					free(keys);
					return cts_error_set(CTS_EINVAL, "clé non ASCII « %.40s »", k);
				}
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), key_cmp);
		putc1(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				putc1(b, ',');
			dump_string(b, keys[i], strlen(keys[i]));
			putc1(b, ':');
			if ((rc = dump_value(b, json_object_get(v, keys[i]), depth + 1)) < 0) {
				free(keys);
				return rc;
			}
		}
		putc1(b, '}');
		free(keys);
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		putc1(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				putc1(b, ',');
			if ((rc = dump_value(b, x, depth + 1)) < 0)
				return rc;
		}
		putc1(b, ']');
		return 0;
	}
	case JSON_STRING:
		if (!cts_utf8_valid(json_string_value(v), json_string_length(v)))
			return cts_error_set(CTS_EINVAL, "chaîne UTF-8 invalide");
		dump_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		if (n > CTS_JCS_MAX_INT || n < -CTS_JCS_MAX_INT)
			return cts_error_set(CTS_EINVAL, "entier hors de l'intervalle ±2^53");
		int w = snprintf(num, sizeof(num), "%lld", (long long)n);
		put(b, num, (size_t)w);
		return 0;
	}
	case JSON_TRUE:
		put(b, "true", 4);
		return 0;
	case JSON_FALSE:
		put(b, "false", 5);
		return 0;
	case JSON_NULL:
		put(b, "null", 4);
		return 0;
	default:
		return cts_error_set(CTS_EINVAL, "nombre décimal interdit (entiers seulement)");
	}
}

int cts_jcs_dump(char **out, size_t *len, const json_t *value)
{
	buf_t b = { 0 };
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	put(&b, "", 0);
	if ((rc = dump_value(&b, value, 1)) < 0) {
		free(b.p);
		return rc;
	}
	if (b.oom) {
		free(b.p);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}

int cts_jcs_is_canonical(const char *buf, size_t len)
{
	json_t *v = NULL;
	char *c = NULL;
	size_t clen = 0;
	int rc;

	if ((rc = cts_jcs_parse(&v, buf, len)) < 0)
		return rc;
	rc = cts_jcs_dump(&c, &clen, v);
	json_decref(v);
	if (rc < 0)
		return rc;
	rc = clen == len && memcmp(c, buf, len) == 0;
	free(c);
	return rc;
}
