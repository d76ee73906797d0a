#include "gitnet.h"

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

/* ---- tokens ---- */

/* Bytes read from a token source at most (the token plus blanks). */
#define TOKEN_READ_MAX (CTS_GITNET_TOKEN_MAX + 256)

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim blanks around buf[0..*len) in place and check what is left. The
 * message names `where`, never the content. */
static int token_clean(char *buf, size_t *len, const char *where)
{
	size_t start = 0, end = *len;

	while (start < end && is_blank(buf[start]))
		start++;
	while (end > start && is_blank(buf[end - 1]))
		end--;
	if (end == start)
		return cts_error_set(CTS_EINVAL, "%s : jeton vide", where);
	if (end - start > CTS_GITNET_TOKEN_MAX)
		return cts_error_set(CTS_EINVAL, "%s : jeton trop long (plus de %d caractères)", where,
		                     CTS_GITNET_TOKEN_MAX);
	for (size_t i = start; i < end; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e)
			return cts_error_set(CTS_EINVAL,
			                     "%s : le jeton doit tenir sur une ligne, en caractères "
			                     "ASCII visibles, sans espace",
			                     where);
	memmove(buf, buf + start, end - start);
	sodium_memzero(buf + (end - start), *len - (end - start));
	*len = end - start;
	buf[*len] = '\0';
	return 0;
}

/* Read at most TOKEN_READ_MAX bytes of fd into sodium memory. */
static int token_read_fd(char **out, size_t *len, int fd, const char *where)
{
	char *buf;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!(buf = sodium_malloc(TOKEN_READ_MAX + 2)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante pour le jeton");
	for (;;) {
		ssize_t r = read(fd, buf + n, TOKEN_READ_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			sodium_free(buf);
			return cts_error_set(CTS_EIO, "%s : lecture impossible : %s", where,
			                     strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > TOKEN_READ_MAX) {
			sodium_free(buf);
			return cts_error_set(CTS_EINVAL, "%s : trop long pour être un jeton", where);
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

void cts_gitnet_token_free(char *token)
{
	if (token)
		sodium_free(token); /* sodium_free wipes */
}

static int token_from_env(char **out, const char *value)
{
	size_t len = strlen(value);
	char *buf;
	int rc;

	if (len > TOKEN_READ_MAX)
		return cts_error_set(CTS_EINVAL, "CTSNODE_GIT_TOKEN : trop long pour être un jeton");
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!(buf = sodium_malloc(len + 1)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante pour le jeton");
	memcpy(buf, value, len + 1);
	if ((rc = token_clean(buf, &len, "CTSNODE_GIT_TOKEN")) < 0) {
		sodium_free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int cts_gitnet_token_load(char **out, const char *token_file)
{
	const char *env = getenv("CTSNODE_GIT_TOKEN");
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	if (env && *env)
		return token_from_env(out, env);
	if (!token_file)
		return 0;
	fd = open(token_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return cts_error_set(CTS_EACCESS, "fichier du jeton %s illisible : %s", token_file,
		                     errno == ELOOP ? "c'est un lien symbolique" : strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cts_error_set(CTS_EACCESS, "%s n'est pas un fichier ordinaire", token_file);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return cts_error_set(CTS_EACCESS,
		                     "le fichier du jeton %s est lisible par d'autres utilisateurs "
		                     "(droits %03o) : jeton non utilisé. Corrigez avec « chmod 600 "
		                     "%s » et demandez un nouveau jeton s'il a pu être lu",
		                     token_file, (unsigned)(sb.st_mode & 0777), token_file);
	}
	rc = token_read_fd(&buf, &len, fd, token_file);
	close(fd);
	if (rc == 0)
		rc = token_clean(buf, &len, token_file);
	if (rc < 0) {
		cts_gitnet_token_free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int cts_gitnet_token_save(const char *dest, const char *src)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	if (strcmp(src, "-") == 0) {
		rc = token_read_fd(&buf, &len, STDIN_FILENO, "entrée standard");
		src = "entrée standard";
	} else {
		if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
			return cts_error_set(CTS_ENOTFOUND, "%s : lecture impossible : %s", src,
			                     strerror(errno));
		rc = token_read_fd(&buf, &len, fd, src);
		close(fd);
	}
	if (rc == 0)
		rc = token_clean(buf, &len, src);
	if (rc == 0 && (rc = cts_write_file_atomic(dest, buf, len, 0600)) == 0 &&
	    chmod(dest, 0600) != 0)
		rc = cts_error_set(CTS_EIO, "%s : droits 0600 impossibles : %s", dest,
		                   strerror(errno));
	cts_gitnet_token_free(buf);
	return rc;
}

const char *cts_gitnet_token_user(const char *user_from_url)
{
	const char *u = getenv("CTSNODE_GIT_USER");

	if (u && *u)
		return u;
	return user_from_url && *user_from_url ? user_from_url : "oauth2";
}

/* ---- URLs and proxies ---- */

/* The authority of scheme://authority/path: [start, end). NULL if the
 * string is not scheme:// shaped. */
static const char *url_authority(const char *url, const char **end)
{
	const char *p = strstr(url, "://");

	if (!p || p == url)
		return NULL;
	for (const char *s = url; s < p; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))
			return NULL;
	p += 3;
	*end = p + strcspn(p, "/?#");
	return p;
}

/* Host of an URL into buf (lowercase, without brackets, user or port). */
static void url_host(const char *url, char *buf, size_t size)
{
	const char *end, *a = url_authority(url, &end), *at, *h;
	size_t l;

	buf[0] = '\0';
	if (!a)
		return;
	h = a;
	for (at = a; at < end; at++)
		if (*at == '@')
			h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		h++;
		l = close ? (size_t)(close - h) : (size_t)(end - h);
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));
		l = colon ? (size_t)(colon - h) : (size_t)(end - h);
	}
	if (l >= size)
		l = size - 1;
	for (size_t i = 0; i < l; i++)
		buf[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] - 'A' + 'a' : h[i]);
	buf[l] = '\0';
}

/* 1 if the authority of url has "user:password@". */
static int url_has_password(const char *url)
{
	const char *end, *a = url_authority(url, &end), *at = NULL;

	if (!a)
		return 0;
	for (const char *p = a; p < end; p++)
		if (*p == '@')
			at = p;
	return at && memchr(a, ':', (size_t)(at - a)) != NULL;
}

int cts_gitnet_url_check(const char *url)
{
	if (url && url_has_password(url))
		return cts_error_set(CTS_EINVAL,
		                     "l'adresse du dépôt régional contient un mot de passe ou un "
		                     "jeton : il serait enregistré en clair. Donnez l'adresse sans "
		                     "lui (https://hôte/chemin) et le jeton avec « ctsnode remote "
		                     "token --file FICHIER » ou la variable CTSNODE_GIT_TOKEN");
	return 0;
}

int cts_gitnet_proxy_check(const char *proxy)
{
	const char *end, *a;
	char host[256];

	if (!proxy || !*proxy || strcmp(proxy, "auto") == 0 || strcmp(proxy, "direct") == 0)
		return 0;
	if (strlen(proxy) > 2048)
		return cts_error_set(CTS_EINVAL, "adresse du proxy trop longue");
	for (const char *p = proxy; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return cts_error_set(CTS_EINVAL, "adresse du proxy invalide (espace ou "
			                                 "caractère de contrôle)");
	a = url_authority(proxy, &end);
	if (!a || (strncasecmp(proxy, "http://", 7) != 0 && strncasecmp(proxy, "https://", 8) != 0))
		return cts_error_set(CTS_EINVAL,
		                     "adresse du proxy invalide : http://hôte:port attendu (ou "
		                     "« direct » pour s'en passer, « auto » pour celui de "
		                     "l'environnement)");
	if (memchr(a, '@', (size_t)(end - a)))
		return cts_error_set(CTS_EINVAL,
		                     "l'adresse du proxy ne doit contenir ni utilisateur ni mot de "
		                     "passe (ils seraient enregistrés en clair) : pour un proxy qui "
		                     "en demande, utilisez la variable https_proxy");
	url_host(proxy, host, sizeof(host));
	if (!host[0])
		return cts_error_set(CTS_EINVAL, "adresse du proxy sans nom d'hôte");
	return 0;
}

void cts_gitnet_proxy_options(git_proxy_options *po, const char *proxy)
{
	git_proxy_options_init(po, GIT_PROXY_OPTIONS_VERSION);
	if (!proxy || !*proxy || strcmp(proxy, "auto") == 0) {
		po->type = GIT_PROXY_AUTO;
	} else if (strcmp(proxy, "direct") == 0) {
		po->type = GIT_PROXY_NONE;
	} else {
		po->type = GIT_PROXY_SPECIFIED;
		po->url = proxy;
	}
}

/* Does host match a no_proxy list ("*", "example.org", ".example.org",
 * "host:port")? The same rule as libgit2's, without ports. */
static int no_proxy_matches(const char *list, const char *host)
{
	char item[256];
	size_t hl = strlen(host);

	while (list && *list) {
		size_t l = strcspn(list, ",");
		const char *s = list;
		list += l + (list[l] == ',');
		while (l > 0 && is_blank(*s))
			s++, l--;
		while (l > 0 && is_blank(s[l - 1]))
			l--;
		if (l == 0 || l >= sizeof(item))
			continue;
		memcpy(item, s, l);
		item[l] = '\0';
		if (strcmp(item, "*") == 0)
			return 1;
		if (item[0] != '[' && strchr(item, ':'))
			*strchr(item, ':') = '\0';
		s = item[0] == '.' ? item + 1 : item;
		l = strlen(s);
		if (l == 0)
			continue;
		if (strcasecmp(s, host) == 0 ||
		    (hl > l && host[hl - l - 1] == '.' && strcasecmp(host + hl - l, s) == 0))
			return 1;
	}
	return 0;
}

static const char *env_first(const char *a, const char *b)
{
	const char *v = getenv(a);

	if (v && *v)
		return v;
	v = getenv(b);
	return v && *v ? v : NULL;
}

const char *cts_gitnet_proxy_describe(const char *proxy, const char *url, char *buf, size_t size)
{
	const char *p = NULL, *end, *a;
	char host[256];
	int tls = url && strncasecmp(url, "https://", 8) == 0;

	if (!url || (!tls && strncasecmp(url, "http://", 7) != 0))
		return NULL; /* only HTTP goes through a proxy */
	if (proxy && *proxy && strcmp(proxy, "auto") != 0) {
		if (strcmp(proxy, "direct") == 0)
			return NULL;
		p = proxy;
	} else {
		p = tls ? env_first("https_proxy", "HTTPS_PROXY") : env_first("http_proxy", "HTTP_PROXY");
		url_host(url, host, sizeof(host));
		if (p && no_proxy_matches(env_first("no_proxy", "NO_PROXY"), host))
			p = NULL;
	}
	if (!p)
		return NULL;
	/* Never show credentials of the proxy (with or without a scheme). */
	if (!(a = url_authority(p, &end))) {
		a = p;
		end = p + strcspn(p, "/");
	}
	if (memchr(a, '@', (size_t)(end - a))) {
		const char *at = a;
		for (const char *q = a; q < end; q++)
			if (*q == '@')
				at = q + 1;
		snprintf(buf, size, "%.*s%s", (int)(a - p), p, at);
	} else {
		snprintf(buf, size, "%s", p);
	}
	return buf;
}

/* ---- CA store ---- */

#define SYSTEM_CA_DIR "/etc/ssl/certs"
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static char tls_applied[8400]; /* "<file>\n<dir>" last applied; "" = default */

static int tls_apply(const char *file, const char *dir)
{
	const git_error *e;

	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) == 0)
		return 0;
	e = git_error_last();
	return cts_error_set(CTS_EACCESS,
	                     "autorités de certification %s%s%s illisibles : %s (un fichier PEM "
	                     "est attendu)",
	                     file ? file : "", file && dir ? " et " : "", dir ? dir : "",
	                     e && e->message ? e->message : "erreur inconnue");
}

int cts_gitnet_tls_prepare(void)
{
	const char *file = getenv("CTSNODE_CA_FILE"), *dir = getenv("SSL_CERT_DIR");
	char want[sizeof(tls_applied)];
	struct stat sb;
	int rc = 0, fd;

	if (file && !*file)
		file = NULL;
	if (dir && !*dir)
		dir = NULL;
	if (file) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return cts_error_set(CTS_EACCESS,
			                     "CTSNODE_CA_FILE : fichier d'autorité de certification %s "
			                     "illisible : %s",
			                     file, strerror(errno));
		close(fd);
	}
	if (dir && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return cts_error_set(CTS_EACCESS, "SSL_CERT_DIR : %s n'est pas un dossier", dir);
	if (file && !dir && stat(SYSTEM_CA_DIR, &sb) == 0 && S_ISDIR(sb.st_mode))
		dir = SYSTEM_CA_DIR;
	if (snprintf(want, sizeof(want), "%s\n%s", file ? file : "", dir ? dir : "") >=
	    (int)sizeof(want))
		return cts_error_set(CTS_EINVAL, "chemin des autorités de certification trop long");
	if (!file && !dir)
		want[0] = '\0';
	pthread_mutex_lock(&tls_mu);
	if (strcmp(want, tls_applied) != 0) {
		if (!file && !dir)
			rc = stat(SYSTEM_CA_BUNDLE, &sb) == 0 ? tls_apply(SYSTEM_CA_BUNDLE, NULL) : 0;
		else
			rc = tls_apply(file, dir);
		if (rc == 0)
			snprintf(tls_applied, sizeof(tls_applied), "%s", want);
	}
	pthread_mutex_unlock(&tls_mu);
	return rc;
}

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
	} attrs[] = {{3, "CN"}, {5, "serialNumber"}, {6, "C"}, {7, "L"}, {8, "ST"}, {10, "O"}, {11, "OU"}};

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
	static const unsigned char san_oid[] = {0x55, 0x1d, 0x11};
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
	der in = {der_bytes, len}, cert, tbs, v, issuer, subject, validity;
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

/* ---- no-progress watchdog ---- */

int cts_gitnet_timeout_seconds(void)
{
	const char *v = getenv("CTSNODE_NET_TIMEOUT_S");
	char *end;
	long s;

	if (!v || !*v)
		return CTS_GITNET_TIMEOUT_DEFAULT;
	s = strtol(v, &end, 10);
	return *end || s < 1 || s > 86400 ? CTS_GITNET_TIMEOUT_DEFAULT : (int)s;
}

struct cts_gitnet_watch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec last;  /* CLOCK_MONOTONIC of the last progress */
	int seconds, stop, expired;
	unsigned long *before; /* inodes of the sockets open at the start */
	size_t nbefore, capbefore;
	sigset_t old_mask;     /* of the exchange's thread, before SIGPIPE was blocked */
};

/* The inode of fd if it is a socket ("socket:[123]"), else 0. */
static unsigned long socket_inode(int fd)
{
	char path[64], link[64];
	unsigned long ino = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%lu]", &ino) == 1 ? ino : 0;
}

static int known_socket(const cts_gitnet_watch *w, unsigned long ino)
{
	for (size_t i = 0; i < w->nbefore; i++)
		if (w->before[i] == ino)
			return 1;
	return 0;
}

/* cut = 0: remember the sockets open now. cut = 1: shut down every TCP
 * socket opened since (the exchange's: libgit2's or libssh2's, which
 * retries interrupted calls), so that its blocked reads, writes and
 * connects fail at once. shutdown() leaves the descriptor to its owner:
 * nothing else can be hit by a reused number. */
static void scan_sockets(cts_gitnet_watch *w, int cut)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		unsigned long ino;
		int type = 0, dom = 0;
		socklen_t l = sizeof(int);
		if (*end || end == de->d_name || fd == dirfd(d) || !(ino = socket_inode((int)fd)))
			continue;
		if (!cut) {
			if (w->nbefore == w->capbefore) {
				size_t cap = w->capbefore ? 2 * w->capbefore : 16;
				unsigned long *nb = realloc(w->before, cap * sizeof(*nb));
				if (!nb)
					break;
				w->before = nb;
				w->capbefore = cap;
			}
			w->before[w->nbefore++] = ino;
			continue;
		}
		if (known_socket(w, ino) ||
		    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 || type != SOCK_STREAM ||
		    getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0 ||
		    (dom != AF_INET && dom != AF_INET6))
			continue;
		shutdown((int)fd, SHUT_RDWR);
	}
	closedir(d);
}

static void *watch_main(void *arg)
{
	cts_gitnet_watch *w = arg;
	struct timespec now, deadline;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = w->last;
		deadline.tv_sec += w->seconds;
		if (!w->expired && (now.tv_sec > deadline.tv_sec ||
		                    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)))
			w->expired = 1;
		if (w->expired) {
			/* Again every second until the exchange gives up (a
			 * connection may open after the first cut). */
			scan_sockets(w, 1);
			deadline = now;
			deadline.tv_sec += 1;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &deadline);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int cts_gitnet_watch_start(cts_gitnet_watch **out)
{
	cts_gitnet_watch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int ok;

	sigset_t pipe_set;

	*out = NULL;
	if (!w)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* A connection the server (or the watchdog) closed while we write to
	 * it must be an error, not SIGPIPE killing the process. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &w->old_mask);
	w->seconds = cts_gitnet_timeout_seconds();
	clock_gettime(CLOCK_MONOTONIC, &w->last);
	scan_sockets(w, 0);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ok = pthread_mutex_init(&w->mu, NULL) == 0;
	if (ok && pthread_cond_init(&w->cv, &ca) != 0) {
		pthread_mutex_destroy(&w->mu);
		ok = 0;
	}
	pthread_condattr_destroy(&ca);
	if (ok && pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		ok = 0;
	}
	if (!ok) {
		pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
		free(w->before);
		free(w);
		return cts_error_set(CTS_ERR, "surveillance du réseau impossible");
	}
	*out = w;
	return 0;
}

void cts_gitnet_watch_touch(cts_gitnet_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (!w->expired)
		clock_gettime(CLOCK_MONOTONIC, &w->last);
	pthread_mutex_unlock(&w->mu);
}

int cts_gitnet_watch_expired(cts_gitnet_watch *w)
{
	int e;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	e = w->expired;
	pthread_mutex_unlock(&w->mu);
	return e;
}

void cts_gitnet_watch_stop(cts_gitnet_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	/* SIGPIPEs raised by the exchange are dropped before the thread's
	 * mask comes back (unless it blocked SIGPIPE itself). */
	if (!sigismember(&w->old_mask, SIGPIPE)) {
		sigset_t pipe_set;
		struct timespec zero = {0, 0};
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->before);
	free(w);
}
