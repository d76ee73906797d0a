#include "text.h"

#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the strict UTF-8 sequence starting at s[0] (at most n bytes
 * available), or 0 if it is invalid or truncated. */
static size_t seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong below U+0800 */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates U+D800–U+DFFF */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 overlong, F5–FF */
	}
	if (n < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

size_t cts_text_utf8_seq(const char *s, size_t avail)
{
	return seq_len((const unsigned char *)s, avail);
}

size_t cts_text_utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t k = seq_len(u + i, len - i);
		if (k == 0)
			return i;
		i += k;
	}
	return len;
}

int cts_text_utf8_valid(const char *s, size_t len)
{
	if (!s)
		return len == 0;
	return cts_text_utf8_valid_prefix(s, len) == len;
}

/* Decode one code point of text already known to be valid UTF-8. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xE0) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (s[0] < 0xF0) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		      (s[2] & 0x3F);
		return 3;
	}
	*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	return 4;
}

static size_t encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Windows-1252 0x80–0x9F; 0 marks the 5 undefined bytes. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, /* 80–87 */
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,      /* 88–8F */
	0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, /* 90–97 */
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178, /* 98–9F */
};

int cts_text_cp1252_to_utf8(char **out, size_t *out_len, const char *in, size_t len)
{
	const unsigned char *u = (const unsigned char *)in;
	char *buf;
	size_t o = 0;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!in && len > 0)
		return cts_error_set(CTS_EINVAL, "conversion depuis Windows-1252 : texte absent");
	/* Each byte becomes at most 3 bytes of UTF-8 (U+20AC, U+2122 ...). */
	if (len > (SIZE_MAX - 1) / 3)
		return cts_error_set(
		    CTS_ELIMIT, "conversion depuis Windows-1252 : texte trop long (%zu octets)",
		    len);
	for (size_t i = 0; i < len; i++) {
		if (u[i] >= 0x80 && u[i] <= 0x9F && cp1252_high[u[i] - 0x80] == 0)
			return cts_error_set(
			    CTS_EINVAL,
			    "octet 0x%02X (octet n° %zu) : caractère non défini en Windows-1252",
			    u[i], i + 1);
	}
	buf = malloc(len * 3 + 1);
	if (!buf)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = u[i];
		if (cp >= 0x80 && cp <= 0x9F)
			cp = cp1252_high[cp - 0x80];
		o += encode(cp, buf + o);
	}
	buf[o] = '\0';
	*out = buf;
	if (out_len)
		*out_len = o;
	return 0;
}

/* White space for trimming and folding. */
static int is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Apostrophes and hyphens: name separators, folded to a space. */
static int is_name_separator(uint32_t cp)
{
	return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == '`' ||
	       cp == 0xB4 || cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212;
}

/* Invisible characters dropped by the fold: soft hyphen, zero-width space
 * and joiners, byte-order mark, combining diacritical marks. */
static int is_ignorable(uint32_t cp)
{
	return cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0xFEFF || cp == 0x2060 ||
	       (cp >= 0x0300 && cp <= 0x036F);
}

/* Base letters of U+00C0–U+00FF. '*' keeps the character (× ÷); digits
 * stand for two-letter replacements: 1 ae, 2 th, 3 ss. */
static const char latin1_base[] = "aaaaaa1ceeeeiiiidnooooo*ouuuuy23"
                                  "aaaaaa1ceeeeiiiidnooooo*ouuuuy2y";
_Static_assert(sizeof(latin1_base) == 64 + 1, "Latin-1 Supplement letters U+00C0-U+00FF");

/* Base letters of U+0100–U+017F (Latin Extended-A); 4 ij, 5 oe. */
static const char latin_ext_a_base[] = "aaaaaa"
                                       "cccccccc"
                                       "dddd"
                                       "eeeeeeeeee"
                                       "gggggggg"
                                       "hhhh"
                                       "iiiiiiiiii"
                                       "44"
                                       "jj"
                                       "kkk"
                                       "llllllllll"
                                       "nnnnnnnnn"
                                       "oooooo"
                                       "55"
                                       "rrrrrr"
                                       "ssssssss"
                                       "tttttt"
                                       "uuuuuuuuuuuu"
                                       "ww"
                                       "yyy"
                                       "zzzzzz"
                                       "s";
_Static_assert(sizeof(latin_ext_a_base) == 128 + 1, "Latin Extended-A letters U+0100-U+017F");

/* Write the ASCII replacement of a Latin letter to dst (at most 2 bytes)
 * and return its length, or return 0 to keep the character. */
static size_t latin_fold(uint32_t cp, char *dst)
{
	static const char *const digraphs[] = { "ae", "th", "ss", "ij", "oe" };
	char c;

	if (cp >= 0xC0 && cp <= 0xFF)
		c = latin1_base[cp - 0xC0];
	else if (cp >= 0x100 && cp <= 0x17F)
		c = latin_ext_a_base[cp - 0x100];
	else if (cp == 0x218 || cp == 0x219) /* Ș ș (Romanian) */
		c = 's';
	else if (cp == 0x21A || cp == 0x21B) /* Ț ț */
		c = 't';
	else
		return 0;
	if (c == '*')
		return 0;
	if (c >= '1' && c <= '5') {
		memcpy(dst, digraphs[c - '1'], 2);
		return 2;
	}
	dst[0] = c;
	return 1;
}

static int check_utf8(const char *utf8, const char *what)
{
	size_t len, ok;

	if (!utf8)
		return cts_error_set(CTS_EINVAL, "%s : texte absent", what);
	len = strlen(utf8);
	ok = cts_text_utf8_valid_prefix(utf8, len);
	if (ok != len)
		return cts_error_set(CTS_EINVAL, "%s : texte UTF-8 invalide (octet n° %zu)", what,
		                     ok + 1);
	return 0;
}

int cts_text_fold(char **out, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t o = 0, i = 0, len;
	int pending_space = 0;
	char *buf;
	int rc;

	*out = NULL;
	if ((rc = check_utf8(utf8, "comparaison de noms")) < 0)
		return rc;
	len = strlen(utf8);
	/* Every replacement is no longer than the sequence it replaces. */
	buf = malloc(len + 1);
	if (!buf)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	while (i < len) {
		uint32_t cp;
		size_t k = decode(s + i, &cp), n;

		if (is_space(cp) || is_name_separator(cp)) {
			pending_space = o > 0;
			i += k;
			continue;
		}
		if (is_ignorable(cp)) {
			i += k;
			continue;
		}
		if (pending_space) {
			buf[o++] = ' ';
			pending_space = 0;
		}
		if (cp < 0x80) {
			buf[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
		} else if ((n = latin_fold(cp, buf + o)) > 0) {
			o += n;
		} else {
			memcpy(buf + o, s + i, k);
			o += k;
		}
		i += k;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

/* Length of the white-space character ending at s[end-1], or 0. */
static size_t trailing_space(const unsigned char *s, size_t end)
{
	size_t start = end;
	uint32_t cp;

	/* Step back over continuation bytes to the start of the last character. */
	while (start > 0 && end - start < 4) {
		start--;
		if ((s[start] & 0xC0) != 0x80)
			break;
	}
	decode(s + start, &cp);
	return is_space(cp) || cp == 0xFEFF ? end - start : 0;
}

int cts_text_trim(char **out, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t b = 0, e, len;
	char *buf;
	int rc;

	*out = NULL;
	if ((rc = check_utf8(utf8, "suppression des espaces")) < 0)
		return rc;
	len = strlen(utf8);
	while (b < len) {
		uint32_t cp;
		size_t k = decode(s + b, &cp);
		if (!is_space(cp) && cp != 0xFEFF)
			break;
		b += k;
	}
	e = len;
	while (e > b) {
		size_t k = trailing_space(s, e);
		if (k == 0)
			break;
		e -= k;
	}
	buf = malloc(e - b + 1);
	if (!buf)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	memcpy(buf, utf8 + b, e - b);
	buf[e - b] = '\0';
	*out = buf;
	return 0;
}

/* Zero-width code points for display: combining marks, zero-width
 * characters, soft hyphen, controls. */
static int zero_width(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xAD ||
	       (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x0483 && cp <= 0x0489) ||
	       (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
	       (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x20D0 && cp <= 0x20FF) ||
	       (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0xFEFF;
}

/* East Asian wide and fullwidth code points (two columns). */
static int double_width(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
	       (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

/* Width of the character at s (n bytes available) and its length. */
static size_t char_width(const unsigned char *s, size_t n, size_t *w)
{
	uint32_t cp;
	size_t k = seq_len(s, n);

	if (k == 0) {
		*w = 1;
		return 1;
	}
	decode(s, &cp);
	*w = zero_width(cp) ? 0 : double_width(cp) ? 2 : 1;
	return k;
}

size_t cts_text_width(const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len = utf8 ? strlen(utf8) : 0, i = 0, cols = 0;

	while (i < len) {
		size_t w;
		i += char_width(s + i, len - i, &w);
		cols += w;
	}
	return cols;
}

size_t cts_text_width_prefix(const char *utf8, size_t cols)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len = utf8 ? strlen(utf8) : 0, i = 0, used = 0;

	while (i < len) {
		size_t w, k = char_width(s + i, len - i, &w);
		if (used + w > cols)
			break;
		used += w;
		i += k;
	}
	return i;
}

int cts_valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

char *cts_text_date_fr(char *out, size_t size, const char *iso)
{
	if (!size)
		return out;
	if (iso && cts_valid_date(iso))
		snprintf(out, size, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else
		snprintf(out, size, "%s", iso ? iso : "");
	return out;
}

/* Up to `max` digits at *s as a number; the count of digits read (0: none). */
static int read_number(const char **s, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && **s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n;
}

int cts_text_date_parse(const char *s, char out[11])
{
	int a, b, c, na, nb, nc;
	char sep, buf[40];

	out[0] = '\0';
	if (!s)
		return CTS_EINVAL;
	if ((na = read_number(&s, 4, &a)) == 0 || !(*s == '-' || *s == '/' || *s == '.'))
		return CTS_EINVAL;
	sep = *s++;
	if ((nb = read_number(&s, 2, &b)) == 0 || *s != sep)
		return CTS_EINVAL;
	s++;
	if ((nc = read_number(&s, 4, &c)) == 0 || *s)
		return CTS_EINVAL;
	if (na == 4 && sep == '-' && nb == 2 && nc == 2)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", a, b, c); /* ISO */
	else if (na <= 2 && nc == 4)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", c, b, a); /* day first */
	else
		return CTS_EINVAL;
	if (!cts_valid_date(buf))
		return CTS_EINVAL;
	memcpy(out, buf, 11);
	return 0;
}
