/*
 * Network settings of the git transport, used by sync/gitrepo.c (the CLI
 * also saves tokens and checks proxies through it):
 *
 *  - the token of HTTPS remotes (GitLab, Gitea...): $CTSNODE_GIT_TOKEN,
 *    else the node's token file (HOME/git-token, mode 0600), sent as HTTP
 *    basic authentication with the user $CTSNODE_GIT_USER (default
 *    "oauth2"), only over https://, held in sodium memory and wiped;
 *  - the proxy: remembered per node ("direct", an http:// URL) or taken
 *    from the environment (https_proxy, HTTPS_PROXY, no_proxy: libgit2's
 *    GIT_PROXY_AUTO);
 *  - the CA store: libgit2 1.5 is built with mbedTLS on Debian 12, where
 *    setting a CA location replaces the default bundle; so when
 *    $CTSNODE_CA_FILE is set the store is that file PLUS the system's
 *    directory ($SSL_CERT_DIR, else /etc/ssl/certs);
 *  - descriptions of refused X.509 certificates (subject, issuer, SHA-256
 *    fingerprint, validity, names) from their DER bytes;
 *  - the no-progress watchdog: a network exchange that makes no progress
 *    for $CTSNODE_NET_TIMEOUT_S seconds (default 60; a test hook) has its
 *    connections shut down.
 */
#ifndef CTS_GITNET_H
#define CTS_GITNET_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

/* Name of the token file in a node home. */
#define CTS_GITNET_TOKEN_FILE "git-token"
/* Longest token accepted (bytes). */
#define CTS_GITNET_TOKEN_MAX 4096
/* Default no-progress timeout of a network exchange (seconds). */
#define CTS_GITNET_TIMEOUT_DEFAULT 60

/* The token for HTTPS remotes: $CTSNODE_GIT_TOKEN when set and not empty,
 * else the file token_file (NULL or absent: no token, *out = NULL). The
 * file must be a regular file (no symlink) that only its owner can read
 * (else CTS_EACCESS). *out is sodium_malloc'd and NUL-terminated, released
 * with cts_gitnet_token_free(). The token never appears in a message. */
int cts_gitnet_token_load(char **out, const char *token_file);
void cts_gitnet_token_free(char *token); /* wipes; accepts NULL */

/* Copy the token read from src (a file, or "-" for standard input) into
 * dest, atomically, mode 0600. A token is printable ASCII without blanks
 * (surrounding blanks and the final newline are dropped), 1 to
 * CTS_GITNET_TOKEN_MAX bytes; anything else is CTS_EINVAL. */
int cts_gitnet_token_save(const char *dest, const char *src);

/* The HTTP user sent with the token: $CTSNODE_GIT_USER, else the user
 * written in the URL (https://user@host/...), else "oauth2". Borrowed. */
const char *cts_gitnet_token_user(const char *user_from_url);

/* A remote URL must not carry a password or token (https://u:secret@h):
 * CTS_EINVAL, with a message that does not repeat the URL. */
int cts_gitnet_url_check(const char *url);

/* A proxy setting: NULL, "" or "auto" (the environment), "direct" (no
 * proxy), or an http:// or https:// URL with a host and no user or
 * password. 0, or CTS_EINVAL with a message. */
int cts_gitnet_proxy_check(const char *proxy);
/* po initialised for that (checked) setting; po->url borrows proxy. */
void cts_gitnet_proxy_options(git_proxy_options *po, const char *proxy);
/* The proxy an https:// exchange will go through, for messages: the
 * setting's URL, the environment's (without credentials), or NULL.
 * Written into buf. */
const char *cts_gitnet_proxy_describe(const char *proxy, const char *url, char *buf,
                                      size_t size);

/* Before a TLS connection: make libgit2 trust $CTSNODE_CA_FILE plus the
 * system's directory of CAs (see above); with neither variable set, the
 * default bundle stays. Applied once per process and setting. An
 * unreadable or invalid CA file is CTS_EACCESS. */
int cts_gitnet_tls_prepare(void);

/* What a refused certificate is, from its DER bytes (borrowed). Strings
 * are printable (control characters replaced), possibly truncated. */
typedef struct {
	char subject[512];     /* "CN=depot.example.fr, O=ARS, C=FR" */
	char issuer[512];
	char names[512];       /* DNS names of subjectAltName, else the CN */
	char fingerprint[96];  /* SHA-256 of the DER, "AB:CD:..." */
	int64_t not_before;    /* Unix seconds (0 if unreadable) */
	int64_t not_after;
	int name_matches;      /* host matches names (as mbedTLS checks it) */
} cts_gitnet_cert;

/* 0, or CTS_EINVAL if the bytes are not a certificate (the fingerprint
 * is filled in any case). */
int cts_gitnet_cert_describe(cts_gitnet_cert *out, const unsigned char *der, size_t len,
                             const char *host);

/* The no-progress timeout in seconds ($CTSNODE_NET_TIMEOUT_S, 1 to 86400,
 * else CTS_GITNET_TIMEOUT_DEFAULT). */
int cts_gitnet_timeout_seconds(void);

/* A watchdog for one network exchange: when cts_gitnet_watch_touch() has
 * not been called for the timeout, it marks itself expired and shuts down
 * (shutdown(2), the descriptors stay open) every TCP socket the process
 * opened since the watch started, again every second until stopped, so
 * that the blocked connect, read or write fails instead of waiting
 * forever (libssh2 retries interrupted calls: a signal would not do).
 * SIGPIPE is blocked in the calling thread meanwhile (a closed connection
 * is an error, not a kill) and dropped at the stop, which the same thread
 * calls. One exchange at a time per process. *out: cts_gitnet_watch_stop(). */
typedef struct cts_gitnet_watch cts_gitnet_watch;
int cts_gitnet_watch_start(cts_gitnet_watch **out);
void cts_gitnet_watch_touch(cts_gitnet_watch *w);   /* progress; NULL: nothing */
int cts_gitnet_watch_expired(cts_gitnet_watch *w);  /* NULL: 0 */
void cts_gitnet_watch_stop(cts_gitnet_watch *w);    /* joins, restores; NULL ok */

#endif
