#include "gitnet_cert.h"

#include "crypto.h"
#include "error.h"
#include "node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- X.509 (a minimal DER walk) ---- */

typedef struct {
	const unsigned char *p;
	size_t len;
} der;

/* Next TLV of `in` (single-byte tags, definite lengths up to 4 bytes). */
static int der_next(der *in, unsigned *tag, der *val)
{
	size_t l, i = 2;

	if (in->len < 2 || (in->p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = in->p[0];
	l = in->p[1];
	if (l & 0x80) {
		size_t n = l & 0x7f;
		if (n == 0 || n > 4 || in->len < 2 + n)
			return -1;
		l = 0;
		for (size_t k = 0; k < n; k++)
			l = (l << 8) | in->p[2 + k];
		i += n;
	}
	if (l > in->len - i)
		return -1;
	val->p = in->p + i;
	val->len = l;
	in->p += i + l;
	in->len -= i + l;
	return 0;
}

/* 1 if s[0..n) is well-formed UTF-8 (lead and continuation bytes). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k;
		if (c < 0x80)
			k = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if ((c & 0xf0) == 0xe0)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* Append printable text to buf: control bytes, and non-ASCII bytes of
 * strings that are not valid UTF-8, become '?'. */
static void append_text(char *buf, size_t size, const unsigned char *s, size_t n, int utf8)
{
	size_t l = strlen(buf);

	utf8 = utf8 && valid_utf8(s, n);
	for (size_t i = 0; i < n && l + 1 < size; i++) {
		unsigned char c = s[i];
		buf[l++] = (char)(c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8) ? '?' : c);
	}
	buf[l] = '\0';
}

static const char *attr_name(const der *oid)
{
	static const struct {
		unsigned char last;
		const char *name;
	} attrs[] = { { 3, "CN" }, { 5, "serialNumber" }, { 6, "C" },  { 7, "L" },
		      { 8, "ST" }, { 10, "O" },           { 11, "OU" } };

	if (oid->len == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x04)
		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
			if (oid->p[2] == attrs[i].last)
				return attrs[i].name;
	return NULL;
}

/* A Name as "CN=x, O=y" (known attributes, in encoded order); the CN
 * alone into cn when not NULL. */
static int name_text(der name, char *buf, size_t size, char *cn, size_t cnsize)
{
	der rdn, atv, oid, val;
	unsigned tag;

	buf[0] = '\0';
	while (name.len > 0) {
		if (der_next(&name, &tag, &rdn) < 0 || tag != 0x31)
			return -1;
		while (rdn.len > 0) {
			const char *an;
			if (der_next(&rdn, &tag, &atv) < 0 || tag != 0x30 ||
			    der_next(&atv, &tag, &oid) < 0 || tag != 0x06 ||
			    der_next(&atv, &tag, &val) < 0)
				return -1;
			/* UTF8String, PrintableString, IA5String, TeletexString */
			if (!(an = attr_name(&oid)) ||
			    (tag != 0x0c && tag != 0x13 && tag != 0x16 && tag != 0x14))
				continue;
			if (buf[0] && strlen(buf) + 2 < size)
				strcat(buf, ", ");
			if (strlen(buf) + strlen(an) + 1 < size) {
				strcat(buf, an);
				strcat(buf, "=");
			}
			append_text(buf, size, val.p, val.len, tag == 0x0c);
			if (cn && strcmp(an, "CN") == 0) {
				cn[0] = '\0';
				append_text(cn, cnsize, val.p, val.len, tag == 0x0c);
			}
		}
	}
	return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
static int64_t der_time(unsigned tag, der v)
{
	int f[6], yd = tag == 0x18 ? 4 : 2, pos = 0;
	int64_t year;

	if ((tag != 0x17 && tag != 0x18) || v.len != (size_t)(yd + 11) || v.p[v.len - 1] != 'Z')
		return 0;
	for (int i = 0; i < 6; i++) {
		int w = i == 0 ? yd : 2, x = 0;
		for (int k = 0; k < w; k++, pos++) {
			if (v.p[pos] < '0' || v.p[pos] > '9')
				return 0;
			x = x * 10 + (v.p[pos] - '0');
		}
		f[i] = x;
	}
	year = tag == 0x17 ? (f[0] < 50 ? 2000 + f[0] : 1900 + f[0]) : f[0];
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
		return 0;
	return days_from_civil(year, (unsigned)f[1], (unsigned)f[2]) * 86400 + f[3] * 3600 +
	       f[4] * 60 + f[5];
}

/* mbedTLS 2.28's rule: exact (case-insensitive) or "*.rest" matching
 * exactly one label. */
static int host_matches(const char *pattern, size_t plen, const char *host)
{
	size_t hl = strlen(host);
	const char *dot;

	if (plen == hl && strncasecmp(pattern, host, hl) == 0)
		return 1;
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.' && (dot = strchr(host, '.')) &&
	    (size_t)(host + hl - dot) == plen - 1 && strncasecmp(dot, pattern + 1, plen - 1) == 0)
		return 1;
	return 0;
}

/* The dNSName entries of a subjectAltName extension value. */
static int san_names(der v, cts_gitnet_cert *out, const char *host)
{
	der seq, gn;
	unsigned tag;

	if (der_next(&v, &tag, &seq) < 0 || tag != 0x30)
		return -1;
	while (seq.len > 0) {
		char ip[INET6_ADDRSTRLEN + 4] = "IP ";
		if (der_next(&seq, &tag, &gn) < 0)
			return -1;
		/* [7] iPAddress: shown, never matched (mbedTLS 2.28 does not) */
		if (tag == 0x87 && (gn.len == 4 || gn.len == 16) &&
		    inet_ntop(gn.len == 4 ? AF_INET : AF_INET6, gn.p, ip + 3, sizeof(ip) - 3)) {
			gn.p = (const unsigned char *)ip;
			gn.len = strlen(ip);
		} else if (tag != 0x82) { /* [2] dNSName */
			continue;
		} else if (host && host_matches((const char *)gn.p, gn.len, host)) {
			out->name_matches = 1;
		}
		if (out->names[0] && strlen(out->names) + 2 < sizeof(out->names))
			strcat(out->names, ", ");
		append_text(out->names, sizeof(out->names), gn.p, gn.len, 0);
	}
	return 0;
}

/* Walk [3] extensions looking for subjectAltName (2.5.29.17). 1 if found. */
static int find_san(der exts, cts_gitnet_cert *out, const char *host)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	der list, ext, oid, v;
	unsigned tag;

	if (der_next(&exts, &tag, &list) < 0 || tag != 0x30)
		return -1;
	while (list.len > 0) {
		if (der_next(&list, &tag, &ext) < 0 || tag != 0x30 ||
		    der_next(&ext, &tag, &oid) < 0 || tag != 0x06 || der_next(&ext, &tag, &v) < 0)
			return -1;
		if (tag == 0x01 && der_next(&ext, &tag, &v) < 0) /* critical */
			return -1;
		if (oid.len == sizeof(san_oid) && memcmp(oid.p, san_oid, sizeof(san_oid)) == 0 &&
		    tag == 0x04)
			return san_names(v, out, host) < 0 ? -1 : 1;
	}
	return 0;
}

int cts_gitnet_cert_describe(cts_gitnet_cert *out, const unsigned char *der_bytes, size_t len,
                             const char *host)
{
	unsigned char sha[crypto_hash_sha256_BYTES];
	der in = { der_bytes, len }, cert, tbs, v, issuer, subject, validity;
	unsigned tag;
	char cn[256] = "";
	int san;

	memset(out, 0, sizeof(*out));
	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	crypto_hash_sha256(sha, der_bytes, len);
	for (size_t i = 0; i < sizeof(sha); i++) /* "AB:CD:...": 3 * 32 - 1 characters */
		snprintf(out->fingerprint + (i ? 3 * i - 1 : 0), 4, "%s%02X", i ? ":" : "", sha[i]);
	if (der_next(&in, &tag, &cert) < 0 || tag != 0x30 || der_next(&cert, &tag, &tbs) < 0 ||
	    tag != 0x30)
		goto bad;
	if (der_next(&tbs, &tag, &v) < 0) /* [0] version, or the serial */
		goto bad;
	if (tag == 0xa0 && der_next(&tbs, &tag, &v) < 0)
		goto bad;
	if (tag != 0x02 || der_next(&tbs, &tag, &v) < 0 || tag != 0x30 || /* signature alg */
	    der_next(&tbs, &tag, &issuer) < 0 || tag != 0x30 ||
	    der_next(&tbs, &tag, &validity) < 0 || tag != 0x30 ||
	    der_next(&tbs, &tag, &subject) < 0 || tag != 0x30)
		goto bad;
	if (name_text(issuer, out->issuer, sizeof(out->issuer), NULL, 0) < 0 ||
	    name_text(subject, out->subject, sizeof(out->subject), cn, sizeof(cn)) < 0)
		goto bad;
	if (der_next(&validity, &tag, &v) == 0)
		out->not_before = der_time(tag, v);
	if (der_next(&validity, &tag, &v) == 0)
		out->not_after = der_time(tag, v);
	san = 0;
	if (der_next(&tbs, &tag, &v) == 0 && tag == 0x30) { /* subjectPublicKeyInfo */
		while (tbs.len > 0 && der_next(&tbs, &tag, &v) == 0)
			if (tag == 0xa3) { /* [3] extensions */
				san = find_san(v, out, host);
				break;
			}
	}
	if (san <= 0) { /* no subjectAltName: the CN is the name */
		out->names[0] = '\0';
		out->name_matches = 0;
		snprintf(out->names, sizeof(out->names), "%s", cn);
		out->name_matches = host && cn[0] && host_matches(cn, strlen(cn), host);
	}
	return 0;
bad:
	return cts_error_set(CTS_EINVAL, "certificat illisible (DER invalide)");
}
