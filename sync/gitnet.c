#include "gitnet.h"

#include "gitrepo_impl.h" /* libgit2: proxy options, CA locations */

#include "crypto.h"
#include "error.h"
#include "known_hosts.h"
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
		return cts_error_set(CTS_EINVAL, "%s : jeton trop long (plus de %d caractères)",
		                     where, CTS_GITNET_TOKEN_MAX);
	for (size_t i = start; i < end; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e)
			return cts_error_set(
			    CTS_EINVAL,
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
			return cts_error_set(CTS_EINVAL, "%s : trop long pour être un jeton",
			                     where);
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
		return cts_error_set(CTS_EINVAL,
		                     "CTSNODE_GIT_TOKEN : trop long pour être un jeton");
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
	const char *end, *a = url_authority(url, &end), *h, *port;
	size_t l;

	buf[0] = '\0';
	if (!a)
		return;
	cts_url_authority_split(a, end, &h, &l, &port);
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
		return cts_error_set(
		    CTS_EINVAL, "l'adresse du proxy ne doit contenir ni utilisateur ni mot de "
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
		p = tls ? env_first("https_proxy", "HTTPS_PROXY")
		        : env_first("http_proxy", "HTTP_PROXY");
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

/* ---- a repository's settings ---- */

int cts_gitnet_settings_set(cts_gitnet_settings *s, const char *token_file, const char *proxy)
{
	cts_gitnet_settings next = { 0 };
	int rc;

	if ((rc = cts_gitnet_proxy_check(proxy)) < 0)
		return rc;
	if ((token_file && !(next.token_file = strdup(token_file))) ||
	    (proxy && !(next.proxy = strdup(proxy)))) {
		cts_gitnet_settings_dispose(&next);
		return cts_git_oom();
	}
	cts_gitnet_settings_dispose(s);
	*s = next;
	return 0;
}

void cts_gitnet_settings_dispose(cts_gitnet_settings *s)
{
	free(s->token_file);
	free(s->proxy);
	cts_gitnet_token_free(s->token);
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
			return cts_error_set(
			    CTS_EACCESS,
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
			rc = stat(SYSTEM_CA_BUNDLE, &sb) == 0 ? tls_apply(SYSTEM_CA_BUNDLE, NULL)
			                                      : 0;
		else
			rc = tls_apply(file, dir);
		if (rc == 0)
			snprintf(tls_applied, sizeof(tls_applied), "%s", want);
	}
	pthread_mutex_unlock(&tls_mu);
	return rc;
}
