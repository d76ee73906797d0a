#include "node.h"

#include "error.h"
#include "history.h"
#include "key.h"
#include "record.h"
#include "registry.h"
#include "tables.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *cts_node_path(const cts_node *n, const char *rel)
{
	size_t len = strlen(n->home) + strlen(rel) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s", n->home, rel);
	return p;
}

int cts_mkdirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return cts_error_set(CTS_EINVAL, "chemin invalide « %.200s »", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return cts_error_set(CTS_EIO,
				                     "impossible de créer le dossier %s : %s", buf,
				                     strerror(errno));
			buf[i] = c;
		}
	}
	return 0;
}

int cts_read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct stat sb;
	char *buf;
	size_t got = 0;
	int fd;

	*data = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return cts_error_set(CTS_ENOTFOUND, "fichier introuvable : %s", path);
		return cts_error_set(CTS_EIO, "impossible de lire %s : %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cts_error_set(CTS_EINVAL, "%s n'est pas un fichier ordinaire", path);
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		return cts_error_set(CTS_ELIMIT, "%s est trop gros (%lld octets, maximum %zu)",
		                     path, (long long)sb.st_size, max);
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(buf);
		return cts_error_set(CTS_EIO, "lecture incomplète de %s", path);
	}
	buf[got] = '\0';
	*data = buf;
	if (len)
		*len = got;
	return 0;
}

int cts_node_home_resolve(char **out, const char *flag)
{
	const char *env = getenv("CTSNODE_HOME"), *xdg = getenv("XDG_DATA_HOME"),
	           *home = getenv("HOME");
	char buf[4096];

	if (flag && *flag)
		snprintf(buf, sizeof(buf), "%s", flag);
	else if (env && *env)
		snprintf(buf, sizeof(buf), "%s", env);
	else if (xdg && *xdg)
		snprintf(buf, sizeof(buf), "%s/ctsnode", xdg);
	else if (home && *home)
		snprintf(buf, sizeof(buf), "%s/.local/share/ctsnode", home);
	else
		return cts_error_set(CTS_EINVAL, "impossible de déterminer le dossier du nœud : "
		                                 "utilisez --home ou CTSNODE_HOME");
	*out = strdup(buf);
	return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

void cts_node_free(cts_node *n)
{
	if (!n)
		return;
	cts_store_free(n->store);
	if (n->lock_fd >= 0)
		close(n->lock_fd); /* releases the flock */
	free(n->home);
	free(n->id);
	free(n->territory);
	free(n->authority_key);
	free(n->remote);
	free(n->notice);
	free(n);
}

static int load_identity(cts_node *n)
{
	char *role = NULL;
	int rc;

	if ((rc = cts_store_meta_get(n->store, "node", &n->id)) < 0 ||
	    (rc = cts_store_meta_get(n->store, "territory", &n->territory)) < 0 ||
	    (rc = cts_store_meta_get(n->store, "role", &role)) < 0 ||
	    (rc = cts_store_meta_get(n->store, "authority_key", &n->authority_key)) < 0) {
		if (rc == CTS_ENOTFOUND)
			rc = cts_error_set(
			    CTS_EDB,
			    "la base du nœud %s est incomplète ou endommagée (identité du nœud "
			    "absente) : "
			    "reconstruisez-la depuis l'historique signé avec « ctsnode rebuild »",
			    n->home);
		free(role);
		return rc;
	}
	n->role = strcmp(role, "authority") == 0 ? CTS_ROLE_AUTHORITY : CTS_ROLE_TERRITORY;
	free(role);
	rc = cts_store_meta_get(n->store, "remote", &n->remote);
	return rc == CTS_ENOTFOUND ? 0 : rc;
}

/* A read-only home is shared with a reader's lock on an existing lock
 * file (a writer elsewhere waits for it), and with no lock at all when
 * there is none: nothing can write there. */
static int take_lock(cts_node *n, int wait_ms, int readonly)
{
	char *path = cts_node_path(n, "lock");
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int waited = 0;

	if (!path)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (readonly)
		n->lock_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	else
		n->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	if (n->lock_fd < 0 && readonly)
		return 0;
	if (n->lock_fd < 0)
		return cts_error_set(CTS_EIO, "impossible de verrouiller le nœud %s : %s", n->home,
		                     errno == ENOSPC ? CTS_STORE_DISK_FULL : strerror(errno));
	while (flock(n->lock_fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return cts_error_set(CTS_EIO, "impossible de verrouiller le nœud %s : %s",
			                     n->home, strerror(errno));
		if (waited >= wait_ms)
			return cts_error_set(CTS_EBUSY,
			                     "le nœud %s est occupé par une autre commande ctsnode "
			                     "(synchronisation en cours ?) : "
			                     "réessayez quand elle sera terminée",
			                     n->home);
		nanosleep(&pause, NULL);
		waited += 50;
	}
	return 0;
}

/* 1 if the file home/name exists (whatever it is). */
static int home_has(const char *home, const char *name)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", home, name);
	return lstat(path, &sb) == 0;
}

/* The home cannot be written by this process (access(2) rules: a
 * read-only mount, or permissions; root writes anyway on a writable
 * file system). */
static int home_readonly(const char *home, const char *db)
{
	return (access(home, W_OK) != 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) ||
	       (access(db, W_OK) != 0 && (errno == EACCES || errno == EROFS || errno == EPERM));
}

int cts_node_open(cts_node **out, const char *home)
{
	return cts_node_open_wait(out, home, 120 * 1000);
}

int cts_node_open_wait(cts_node **out, const char *home, int wait_ms)
{
	cts_node *n;
	char *db = NULL;
	struct stat sb;
	int rc, readonly;

	*out = NULL;
	if (!(n = calloc(1, sizeof(*n))) || !(n->home = strdup(home))) {
		free(n);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	n->lock_fd = -1;
	if (!(db = cts_node_path(n, "node.db"))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto fail;
	}
	if (stat(db, &sb) != 0) {
		if (home_has(home, "node.key"))
			rc = cts_error_set(CTS_ENOTFOUND,
			                   "la base du nœud (node.db) manque dans %s, mais sa clé "
			                   "est là : reconstruisez la base "
			                   "depuis l'historique signé avec « ctsnode rebuild »",
			                   home);
		else
			rc = cts_error_set(CTS_ENOTFOUND,
			                   "aucun nœud dans %s : créez-le avec « ctsnode init » "
			                   "(ou « ctsnode region init »), ou "
			                   "indiquez le bon dossier avec --home",
			                   home);
		goto fail;
	}
	readonly = home_readonly(home, db);
	if ((rc = take_lock(n, wait_ms, readonly)) < 0 ||
	    (rc = readonly ? cts_store_open_readonly(&n->store, db)
	                   : cts_store_open(&n->store, db, 0)) < 0 ||
	    (rc = load_identity(n)) < 0 ||
	    (!readonly && (rc = cts_history_migrate(n, &n->notice)) < 0))
		goto fail;
	free(db);
	*out = n;
	return 0;
fail:
	free(db);
	cts_node_free(n);
	return rc;
}

int cts_node_identity_read(cts_node *n, cts_node_identity *out)
{
	char *pub = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cts_store_meta_get(n->store, "public_key", &pub)) < 0)
		return rc;
	len = strlen(pub) + strlen(n->id) + 2;
	if ((out->public_key = malloc(len)))
		snprintf(out->public_key, len, "%s %s", pub, n->id);
	free(pub);
	out->id = strdup(n->id);
	out->territory = strdup(n->territory);
	if (n->remote)
		out->remote = strdup(n->remote);
	if (!out->public_key || !out->id || !out->territory || (n->remote && !out->remote))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	return 0;
}

void cts_node_identity_dispose(cts_node_identity *ident)
{
	free(ident->id);
	free(ident->territory);
	free(ident->remote);
	free(ident->public_key);
}

int cts_node_set_remote(cts_node *n, const char *url)
{
	int rc = cts_store_meta_set(n->store, "remote", url);

	if (rc == 0) {
		free(n->remote);
		n->remote = strdup(url);
	}
	return rc;
}

int cts_node_set_authority_key(cts_node *n, const char *line)
{
	unsigned char pk[32];
	char *canon = NULL, *known = NULL;
	int rc;

	if (n->role == CTS_ROLE_AUTHORITY)
		return cts_error_set(
		    CTS_EINVAL,
		    "le nœud régional est lui-même l'autorité : sa clé ne se remplace pas");
	if ((rc = cts_key_parse_public_line(pk, line)) < 0 ||
	    (rc = cts_key_public_line(&canon, pk, NULL)) < 0)
		return rc;
	if ((rc = cts_registry_authority(n, &known)) != CTS_ENOTFOUND) {
		if (rc == 0)
			rc = cts_error_set(CTS_EEXISTS,
			                   "l'autorité (%s) est déjà reconnue par ce poste : sa "
			                   "clé ne se change plus",
			                   known);
		free(known);
		free(canon);
		return rc;
	}
	if ((rc = cts_store_meta_set(n->store, "authority_key", canon)) == 0) {
		free(n->authority_key);
		n->authority_key = canon;
		canon = NULL;
	}
	free(canon);
	return rc;
}

int cts_node_proxy(cts_node *n, char **out)
{
	int rc = cts_store_meta_get(n->store, "proxy", out);

	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		*out = NULL;
		return 0;
	}
	return rc;
}

int cts_node_set_proxy(cts_node *n, const char *proxy)
{
	return cts_store_meta_set(n->store, "proxy", proxy);
}

/* The authority's first operations: its own registry entry, its
 * territory entry and the built-in themes. */
static int seed_authority(cts_node *n, const char *pubkey)
{
	char rid[37], name[160];
	json_t *set;
	int rc;

	snprintf(name, sizeof(name), "registry:%s", n->id);
	cts_record_derived_id(rid, name);
	set = json_pack("{s:s, s:s, s:s, s:s}", "node", n->id, "territory_code", n->territory,
	                "role", "authority", "key", pubkey);
	rc = cts_record_put(n->store, "registry", rid, set);
	json_decref(set);
	for (int i = 0; rc == 0 && cts_builtin_themes[i]; i++) {
		snprintf(name, sizeof(name), "theme:%s", cts_builtin_themes[i]);
		cts_record_derived_id(rid, name);
		set = json_pack("{s:s, s:s}", "code", cts_builtin_themes[i], "label",
		                cts_builtin_theme_labels[i]);
		rc = cts_record_put(n->store, "theme", rid, set);
		json_decref(set);
	}
	return rc;
}

/* Remove a database this process has just created (and its -wal, -shm). */
static void unlink_db(const char *db)
{
	char extra[4200];

	unlink(db);
	snprintf(extra, sizeof(extra), "%s-wal", db);
	unlink(extra);
	snprintf(extra, sizeof(extra), "%s-shm", db);
	unlink(extra);
}

/* Create HOME/node.db for n (which holds the home's lock) with the
 * identity p and the node's public key line; seed: the authority's first
 * operations (a new node only). On failure nothing is left behind. */
static int new_store(cts_node *n, const cts_node_params *p, const char *publine, int seed)
{
	char *db = cts_node_path(n, "node.db");
	int rc;

	if (!db)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_store_open(&n->store, db, 1)) < 0)
		goto fail;
	if ((rc = cts_store_begin(n->store)) < 0)
		goto fail;
	if ((rc = cts_store_meta_set(n->store, "node", p->node_id)) < 0 ||
	    (rc = cts_store_meta_set(n->store, "territory", p->territory)) < 0 ||
	    (rc = cts_store_meta_set(n->store, "role",
	                             p->role == CTS_ROLE_AUTHORITY ? "authority" : "territory")) <
	        0 ||
	    (rc = cts_store_meta_set(n->store, "authority_key",
	                             p->role == CTS_ROLE_AUTHORITY ? publine : p->authority_key)) <
	        0 ||
	    (rc = cts_store_meta_set(n->store, "public_key", publine)) < 0 ||
	    (p->role == CTS_ROLE_AUTHORITY &&
	     (rc = cts_store_meta_set(n->store, "authority_node", p->node_id)) < 0) ||
	    (rc = cts_store_meta_set_int(n->store, "last_seq", 0)) < 0 ||
	    (rc = cts_node_machine_record(n)) < 0 ||
	    (p->remote && (rc = cts_store_meta_set(n->store, "remote", p->remote)) < 0) ||
	    (rc = load_identity(n)) < 0 ||
	    (seed && p->role == CTS_ROLE_AUTHORITY && (rc = seed_authority(n, publine)) < 0)) {
		cts_store_rollback(n->store);
		goto fail;
	}
	if ((rc = cts_store_commit(n->store)) < 0)
		goto fail;
	free(db);
	return 0;
fail:
	cts_store_free(n->store);
	n->store = NULL;
	unlink_db(db);
	free(db);
	return rc;
}

int cts_node_lock_home(cts_node **out, const char *home, int wait_ms)
{
	cts_node *n;
	int rc;

	*out = NULL;
	if (!(n = calloc(1, sizeof(*n))) || !(n->home = strdup(home))) {
		free(n);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	n->lock_fd = -1;
	if (access(home, W_OK) != 0) {
		rc = errno == ENOENT
		         ? cts_error_set(CTS_ENOTFOUND, "aucun dossier de nœud %s", home)
		         : cts_error_set(CTS_EIO, "%s : %s", home, CTS_STORE_READ_ONLY);
		cts_node_free(n);
		return rc;
	}
	if ((rc = take_lock(n, wait_ms, 0)) < 0) {
		cts_node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

int cts_node_set_aside_db(cts_node *n, char **moved_to)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char stamp[32], base[4200], from[4300], to[4300];
	time_t t = (time_t)(cts_clock_now_ms(NULL) / 1000);
	struct tm tm;
	struct stat sb;
	int moved = 0;

	*moved_to = NULL;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(base, sizeof(base), "%s/node.db.damaged-%s", n->home, stamp);
	for (int k = 2; lstat(base, &sb) == 0 && k < 1000; k++)
		snprintf(base, sizeof(base), "%s/node.db.damaged-%s-%d", n->home, stamp, k);
	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/node.db%s", n->home, suffix[i]);
		snprintf(to, sizeof(to), "%s%s", base, suffix[i]);
		if (lstat(from, &sb) != 0)
			continue;
		if (lstat(to, &sb) == 0 || rename(from, to) != 0)
			return cts_error_set(
			    CTS_EIO,
			    "impossible de mettre de côté %s (vers %s) : %s ; rien n'a été effacé",
			    from, to,
			    lstat(to, &sb) == 0 ? "le fichier existe déjà" : strerror(errno));
		moved = 1;
	}
	if (moved) {
		int dfd = open(n->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		if (!(*moved_to = strdup(base)))
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

int cts_node_restore(cts_node *n, const cts_node_params *p, const char *public_key_line)
{
	char *db = cts_node_path(n, "node.db");
	struct stat sb;
	int exists;

	if (!db)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	exists = lstat(db, &sb) == 0;
	free(db);
	if (exists)
		return cts_error_set(
		    CTS_EEXISTS, "une base node.db existe déjà dans %s : elle n'est pas remplacée",
		    n->home);
	if (!cts_valid_node_id(p->node_id) || !cts_valid_territory(p->territory))
		return cts_error_set(
		    CTS_EINVAL, "identité du nœud invalide (« %.64s », territoire « %.64s »)",
		    p->node_id ? p->node_id : "", p->territory ? p->territory : "");
	return new_store(n, p, public_key_line, 0);
}

int cts_node_create(cts_node **out, const char *home, const cts_node_params *p)
{
	cts_node *n = NULL;
	cts_key *key = NULL;
	char *db = NULL, *keypath = NULL, *publine = NULL;
	struct stat sb;
	int rc;

	*out = NULL;
	if (!cts_valid_node_id(p->node_id))
		return cts_error_set(CTS_EINVAL,
		                     "identifiant de nœud invalide « %.80s » : 3 à 64 caractères "
		                     "parmi a-z, 0-9 et -",
		                     p->node_id);
	if (!cts_valid_territory(p->territory))
		return cts_error_set(
		    CTS_EINVAL,
		    "code de %s invalide « %.80s » : 2 à 64 caractères parmi a-z, 0-9 et -",
		    p->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", p->territory);
	if (p->role == CTS_ROLE_TERRITORY) {
		unsigned char pk[32];
		if (!p->authority_key)
			return cts_error_set(
			    CTS_EINVAL,
			    "clé de l'autorité invalide : une ligne « ssh-ed25519 AAAA... » est "
			    "attendue (ctsnode key show sur le nœud régional)");
		if ((rc = cts_key_parse_public_line(pk, p->authority_key)) < 0)
			return cts_error_prefix(
			    rc, "clé de l'autorité (ctsnode key show sur le nœud régional) : ");
	}
	if ((rc = cts_mkdirs(home)) < 0)
		return rc;
	if (!(n = calloc(1, sizeof(*n))) || !(n->home = strdup(home))) {
		free(n);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	n->lock_fd = -1;
	db = cts_node_path(n, "node.db");
	keypath = cts_node_path(n, "node.key");
	if (!db || !keypath) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if (stat(db, &sb) == 0 || stat(keypath, &sb) == 0) {
		rc = cts_error_set(CTS_EEXISTS,
		                   "un nœud existe déjà dans %s (%s) : rien n'a été modifié. Si sa "
		                   "base est perdue ou "
		                   "endommagée, reconstruisez-la avec « ctsnode rebuild »",
		                   home, stat(db, &sb) == 0 ? "node.db" : "sa clé node.key");
		goto cleanup;
	}
	if ((rc = cts_key_generate(&key)) < 0 ||
	    (rc = cts_key_public_line(&publine, cts_key_public(key), NULL)) < 0 ||
	    (rc = cts_key_save(key, keypath, p->passphrase)) < 0)
		goto cleanup;
	if ((rc = new_store(n, p, publine, 1)) < 0) {
		unlink(keypath); /* leave nothing half-made behind: the next init must work */
		goto cleanup;
	}
	*out = n;
	n = NULL;
cleanup:
	cts_key_free(key);
	free(publine);
	free(db);
	free(keypath);
	cts_node_free(n);
	return rc;
}
