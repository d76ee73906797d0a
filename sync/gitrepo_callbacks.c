/* The callbacks of one exchange with a remote: credentials (SSH keys,
 * HTTPS token), host keys and certificates, progress for the watchdog. */
#include "gitrepo_impl.h"

/* Forget what happened on the previous connection (the remote, its
 * settings and the watchdog stay). */
void cts_gitcb_reset(cts_gitcb *st, const char *url)
{
	cts_gitrepo *repo = st->repo;
	cts_gitnet_watch *watch = st->watch;
	char proxy[sizeof(st->proxy)];

	memcpy(proxy, st->proxy, sizeof(proxy));
	memset(st, 0, sizeof(*st));
	st->url = url;
	st->repo = repo;
	st->watch = watch;
	memcpy(st->proxy, proxy, sizeof(proxy));
}

/* ---- progress ---- */

/* Every callback is progress; an expired watchdog stops the exchange at
 * the first callback it reaches. */
static int progress_tick(cts_gitcb *st)
{
	if (cts_gitnet_watch_expired(st->watch)) {
		git_error_set_str(GIT_ERROR_NET, "délai d'attente dépassé");
		return GIT_EUSER;
	}
	cts_gitnet_watch_touch(st->watch);
	return 0;
}

static const char *local_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return u;
	if ((u = getenv("LOGNAME")) && *u)
		return u;
	pw = getpwuid(geteuid());
	return pw && pw->pw_name ? pw->pw_name : "git";
}

static void tried_add(cts_gitcb *st, const char *what)
{
	size_t l = strlen(st->tried);

	snprintf(st->tried + l, sizeof(st->tried) - l, "%s%s", l ? ", " : "", what);
}

static int is_http_url(const char *url)
{
	return url && (strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0);
}

/* Refuse to give credentials, saying why (the token is never in it). */
static int deny(cts_gitcb *st, int code, const char *msg)
{
	st->access_rc = code;
	snprintf(st->access_msg, sizeof(st->access_msg), "%s", msg);
	git_error_set_str(GIT_ERROR_HTTP, msg);
	return GIT_EAUTH;
}

static const char token_hint[] =
    "Enregistrez le jeton fourni par l'administrateur du serveur git avec « ctsnode remote "
    "token --file FICHIER » (ou la variable CTSNODE_GIT_TOKEN)";

/* HTTP basic authentication with the token, once per connection: asked
 * again, the server refused it. */
static int http_credentials(git_credential **out, const char *url, const char *user_from_url,
                            unsigned int allowed, cts_gitcb *st)
{
	cts_gitrepo *repo = st->repo;
	const char *user = cts_gitnet_token_user(user_from_url);
	char msg[1400];
	int rc;

	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
		return deny(
		    st, CTS_EACCESS,
		    "le serveur demande une authentification que ctsnode ne sait pas donner "
		    "(seul un jeton en authentification HTTP « Basic » est pris en charge)");
	if (st->token_sent) {
		snprintf(msg, sizeof(msg),
		         "jeton refusé par le serveur (utilisateur « %.100s ») : il est erroné, "
		         "expiré ou sans droit sur ce dépôt. %s ; le travail reste gardé sur ce "
		         "poste",
		         user, token_hint);
		return deny(st, CTS_EACCESS, msg);
	}
	if (strncasecmp(url, "https://", 8) != 0)
		return deny(st, CTS_EACCESS,
		            "le serveur demande un jeton sur une adresse http:// non chiffrée : le "
		            "jeton n'est envoyé qu'en https://");
	if (repo && !repo->net.token_loaded) {
		if ((rc = cts_gitnet_token_load(&repo->net.token, repo->net.token_file)) < 0) {
			rc = deny(st, rc, cts_error_message());
			cts_error_clear();
			return rc;
		}
		repo->net.token_loaded = 1;
	} else if (!repo) {
		return deny(st, CTS_EACCESS, "le serveur demande un jeton");
	}
	if (!repo->net.token) {
		snprintf(msg, sizeof(msg),
		         "le dépôt régional demande une authentification et aucun jeton n'est "
		         "configuré. %s",
		         token_hint);
		return deny(st, CTS_EACCESS, msg);
	}
	if (strchr(user, ':') || strlen(user) > 256)
		return deny(st, CTS_EACCESS, "CTSNODE_GIT_USER : nom d'utilisateur invalide");
	st->token_sent = 1;
	return git_credential_userpass_plaintext_new(out, user, repo->net.token);
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
                       unsigned int allowed, void *payload)
{
	cts_gitcb *st = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url : local_user();
	const char *envkey = getenv("CTSNODE_SSH_KEY");
	const char *home = getenv("HOME");
	char priv[4096], pub[4200];

	if (progress_tick(st) < 0)
		return GIT_EUSER;
	if (is_http_url(url))
		return http_credentials(out, url, user_from_url, allowed, st);
	if (allowed == GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
		st->auth_failed = 1;
		git_error_set_str(GIT_ERROR_SSH,
		                  "le serveur n'accepte pas l'authentification SSH par clé");
		return GIT_EAUTH;
	}
	while (st->cred_tries < SSH_MAX_TRIES) {
		int step = st->cred_step++;
		const char *keyfile = NULL;
		if (envkey && *envkey) {
			if (step > 0)
				break; /* an explicit key is the only one tried */
			keyfile = envkey;
		} else if (step == 0) {
			if (!getenv("SSH_AUTH_SOCK"))
				continue;
			st->cred_tries++;
			tried_add(st, "agent SSH");
			return git_credential_ssh_key_from_agent(out, user);
		} else if (step == 1 && home) {
			snprintf(priv, sizeof(priv), "%s/.ssh/id_ed25519", home);
			if (access(priv, R_OK) != 0)
				continue;
			keyfile = priv;
		} else {
			break;
		}
		snprintf(pub, sizeof(pub), "%s.pub", keyfile);
		st->cred_tries++;
		{
			char what[4300];
			snprintf(what, sizeof(what), "clé %s", keyfile);
			tried_add(st, what);
		}
		return git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL,
		                                  keyfile, NULL);
	}
	st->auth_failed = 1;
	{
		char msg[1200];
		snprintf(msg, sizeof(msg),
		         "authentification SSH refusée pour l'utilisateur %s (essayé : %s) ; "
		         "indiquez une clé autorisée "
		         "sur le serveur avec CTSNODE_SSH_KEY",
		         user,
		         st->tried[0]
		             ? st->tried
		             : "aucune clé : ni CTSNODE_SSH_KEY, ni agent, ni ~/.ssh/id_ed25519");
		git_error_set_str(GIT_ERROR_SSH, msg);
	}
	return GIT_EAUTH;
}

/* ---- SSH: host keys (known_hosts.c) ---- */

/* OpenSSH's name of a host key type; borrowed. */
static const char *ssh_key_type_name(git_cert_ssh_raw_type_t t)
{
	switch (t) {
	case GIT_CERT_SSH_RAW_TYPE_RSA:
		return "ssh-rsa";
	case GIT_CERT_SSH_RAW_TYPE_DSS:
		return "ssh-dss";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
		return "ecdsa-sha2-nistp256";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
		return "ecdsa-sha2-nistp384";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521:
		return "ecdsa-sha2-nistp521";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519:
		return "ssh-ed25519";
	default:
		return "type inconnu";
	}
}

static void day_text(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t && gmtime_r(&tt, &tm))
		strftime(buf, size, "%Y-%m-%d", &tm);
	else
		snprintf(buf, size, "?");
}

/* A TLS certificate libgit2 (mbedTLS) found invalid is refused, with what
 * it is; a valid one is accepted as is. */
static int tls_certificate_check(const git_cert_x509 *x, int valid, const char *host, cts_gitcb *st)
{
	cts_gitnet_cert c;
	char reason[800], day[32], h[256];
	const char *hint;
	time_t now = time(NULL);
	int readable;

	if (valid)
		return 0;
	snprintf(h, sizeof(h), "%s", host && strlen(host) < sizeof(h) ? host : "?");
	readable = cts_gitnet_cert_describe(&c, x->data, x->len, h) == 0;
	cts_error_clear();
	hint = "prévenez l'administrateur du serveur git";
	if (!readable) {
		snprintf(c.subject, sizeof(c.subject), "illisible");
		cts_git_fmt(reason, sizeof(reason), "il est illisible");
	} else if (c.not_after && now > c.not_after) {
		day_text(day, sizeof(day), c.not_after);
		cts_git_fmt(reason, sizeof(reason), "il a expiré le %s", day);
	} else if (c.not_before && now < c.not_before) {
		day_text(day, sizeof(day), c.not_before);
		cts_git_fmt(reason, sizeof(reason), "il n'est valable qu'à partir du %s", day);
	} else if (!c.name_matches) {
		unsigned char ip[16];
		cts_git_fmt(reason, sizeof(reason),
		            "il est établi pour « %.300s », pas pour « %s »", c.names, h);
		hint = inet_pton(AF_INET, h, ip) == 1 || inet_pton(AF_INET6, h, ip) == 1
		           ? "un certificat n'est vérifié que pour un nom de serveur : écrivez ce "
		             "nom, "
		             "pas son adresse IP, dans l'adresse du dépôt régional (--remote)"
		           : "vérifiez l'adresse du dépôt régional (--remote)";
	} else {
		cts_git_fmt(reason, sizeof(reason),
		            "il n'est pas signé par une autorité de certification reconnue "
		            "(magasin du système%s)",
		            getenv("CTSNODE_CA_FILE") && *getenv("CTSNODE_CA_FILE")
		                ? " et CTSNODE_CA_FILE"
		                : "");
		hint = "si c'est bien le serveur de votre organisation, vérifiez cette empreinte "
		       "auprès de son service informatique, puis indiquez le fichier de son "
		       "autorité de certification avec la variable CTSNODE_CA_FILE";
	}
	cts_git_fmt(st->cert_msg, sizeof(st->cert_msg),
	            "certificat du serveur %s refusé (empreinte SHA-256 %s) : %s. Certificat : "
	            "%.200s ; émis par : %.200s. Connexion refusée, rien n'a été envoyé : %s",
	            h, c.fingerprint, reason, c.subject, c.issuer[0] ? c.issuer : "?", hint);
	git_error_set_str(GIT_ERROR_SSL, st->cert_msg);
	return GIT_ECERTIFICATE;
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	cts_gitcb *st = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *file = getenv("CTSNODE_SSH_KNOWN_HOSTS"), *home = getenv("HOME");
	char path[4200], name1[600], name2[600], fp[128] = "empreinte indisponible", hint[700];
	const char *names[2] = { name1, name2 };
	int port = cts_ssh_url_port(st->url), result = CTS_KH_NONE;
	cts_known_hosts_key key = { NULL, NULL, 0 };
	FILE *f;

	if (progress_tick(st) < 0)
		return GIT_EUSER;
	if (cert->cert_type == GIT_CERT_X509)
		return tls_certificate_check((const git_cert_x509 *)cert, valid, host, st);
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_ECERTIFICATE; /* never accepted silently */
	if (!host || strlen(host) > 500)
		host = "?";
	snprintf(name1, sizeof(name1), port == 22 ? "%s" : "[%s]:%d", host, port);
	snprintf(name2, sizeof(name2), "[%s]:22", host);
	if (hk->type & GIT_CERT_SSH_SHA256)
		key.sha256 = hk->hash_sha256;
	else if (hk->type & GIT_CERT_SSH_RAW)
		key.raw = (const unsigned char *)hk->hostkey, key.raw_len = hk->hostkey_len;
	for (char *c = name1; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (char *c = name2; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!file || !*file) {
		snprintf(path, sizeof(path), "%s/.ssh/known_hosts", home ? home : "");
		file = path;
	}
	if (hk->type & GIT_CERT_SSH_SHA256) {
		char b64[64];
		sodium_bin2base64(b64, sizeof(b64), hk->hash_sha256, sizeof(hk->hash_sha256),
		                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(fp, sizeof(fp), "SHA256:%s", b64);
	}
	if ((f = fopen(file, "r"))) {
		result = cts_known_hosts_lookup(f, &key, names, port == 22 ? 2 : 1);
		fclose(f);
	}
	if (result == CTS_KH_MATCH)
		return 0;
	if (port == 22)
		cts_git_fmt(hint, sizeof(hint), "ssh-keyscan %s >> %s", host, file);
	else
		cts_git_fmt(hint, sizeof(hint), "ssh-keyscan -p %d %s >> %s", port, host, file);
	if (result == CTS_KH_REVOKED)
		cts_git_fmt(st->cert_msg, sizeof(st->cert_msg),
		            "clé d'hôte SSH de %s révoquée dans %s (%s %s) : connexion refusée",
		            name1, file, ssh_key_type_name(hk->raw_type), fp);
	else if (result == CTS_KH_MISMATCH)
		cts_git_fmt(
		    st->cert_msg, sizeof(st->cert_msg),
		    "la clé d'hôte SSH de %s ne correspond pas à celle de %s (reçue : %s %s) : "
		    "connexion refusée "
		    "(serveur usurpé ?). Si le serveur a vraiment changé de clé, vérifiez la "
		    "nouvelle empreinte "
		    "auprès de son administrateur et remplacez la ligne de %s dans ce fichier",
		    name1, file, ssh_key_type_name(hk->raw_type), fp, name1);
	else
		cts_git_fmt(st->cert_msg, sizeof(st->cert_msg),
		            "clé d'hôte SSH inconnue pour %s (%s %s) : connexion refusée. Vérifiez "
		            "cette empreinte auprès "
		            "de l'administrateur du serveur, puis ajoutez la clé à %s (variable "
		            "CTSNODE_SSH_KNOWN_HOSTS ou "
		            "~/.ssh/known_hosts), par exemple : %s",
		            name1, ssh_key_type_name(hk->raw_type), fp, file, hint);
	git_error_set_str(GIT_ERROR_SSH, st->cert_msg);
	return GIT_ECERTIFICATE;
}

/* ---- transport ---- */

static int update_reference(const char *refname, const char *status, void *payload)
{
	cts_gitcb *st = payload;

	if (status && !st->rejected[0])
		snprintf(st->rejected, sizeof(st->rejected), "%s (%s)", refname, status);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return progress_tick(payload);
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	return progress_tick(payload);
}

static int on_pack(int stage, uint32_t current, uint32_t total, void *payload)
{
	(void)stage;
	(void)current;
	(void)total;
	return progress_tick(payload);
}

static int on_push_transfer(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	(void)current;
	(void)total;
	(void)bytes;
	return progress_tick(payload);
}

void cts_gitcb_install(git_remote_callbacks *cb, cts_gitcb *st)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->push_update_reference = update_reference;
	cb->sideband_progress = on_sideband;
	cb->transfer_progress = on_transfer;
	cb->pack_progress = on_pack;
	cb->push_transfer_progress = on_push_transfer;
	cb->payload = st;
}
