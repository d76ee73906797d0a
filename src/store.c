#include "store.h"

#include "error.h"
#include "crashpoint.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STMT_CACHE_MAX 128

struct cts_stmt_cache {
	size_t n;
	const char *key[STMT_CACHE_MAX]; /* the caller's pointer, a hint only */
	const char *sql[STMT_CACHE_MAX];
	sqlite3_stmt *stmt[STMT_CACHE_MAX];
	sqlite3_stmt *slot[CTS_STMT_SLOTS];
};

/* SQLite ran out of space: SQLITE_FULL, or an I/O error (extending the
 * -shm file, creating a file) whose system errno is ENOSPC. */
static int is_disk_full(sqlite3 *db, int rc)
{
	return rc == SQLITE_FULL || ((rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) &&
	                             sqlite3_system_errno(db) == ENOSPC);
}

int cts_store_error(cts_store *st, const char *what)
{
	int rc = sqlite3_errcode(st->db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return cts_error_set(CTS_EBUSY,
		                     "%s : la base est utilisée par un autre processus ctsnode, "
		                     "réessayez dans un instant",
		                     what);
	if (is_disk_full(st->db, rc)) {
		st->full = 1;
		return cts_error_set(CTS_EIO, "%s : " CTS_STORE_DISK_FULL, what);
	}
	if (rc == SQLITE_READONLY || (st->readonly && rc == SQLITE_CANTOPEN))
		return cts_error_set(CTS_EIO, "%s : " CTS_STORE_READ_ONLY, what);
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return cts_error_set(CTS_EDB, "%s : " CTS_STORE_DAMAGED " (%s)", what,
		                     sqlite3_errmsg(st->db));
	if (rc == SQLITE_CANTOPEN || rc == SQLITE_IOERR)
		return cts_error_set(CTS_EIO, "%s : %s", what, sqlite3_errmsg(st->db));
	return cts_error_set(CTS_EDB, "%s : %s", what, sqlite3_errmsg(st->db));
}

int cts_store_schema_version(void)
{
	return cts_migration_count ? cts_migrations[cts_migration_count - 1].version : 0;
}

int cts_store_exec(cts_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = cts_store_error(st, "requête SQL");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int migrate(cts_store *st)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return cts_store_error(st, "lecture de la version du schéma");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	if (version > cts_store_schema_version())
		return cts_error_set(
		    CTS_EVERSION,
		    "cette base a été créée par une version plus récente de ctsnode (schéma %d, "
		    "cette version connaît le schéma %d) : mettez ctsnode à jour",
		    version, cts_store_schema_version());
	if (st->readonly && version < cts_store_schema_version())
		return cts_error_set(CTS_EIO,
		                     "cette base vient d'une version antérieure de ctsnode (schéma "
		                     "%d) et doit être mise à jour, "
		                     "mais le dossier du nœud est en lecture seule : copiez-le "
		                     "dans un dossier modifiable pour le consulter",
		                     version);

	for (int i = 0; i < cts_migration_count; i++) {
		char pragma[64];
		const struct cts_migration *m = &cts_migrations[i];

		if (m->version <= version)
			continue;
		if ((rc = cts_store_exec(st, "BEGIN IMMEDIATE")) < 0)
			return rc;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if ((rc = cts_store_exec(st, m->sql)) < 0 ||
		    (rc = cts_store_exec(st, pragma)) < 0) {
			cts_error_prefix(rc, "migration %s : ", m->name);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if ((rc = cts_store_exec(st, "COMMIT")) < 0)
			return rc;
	}
	return 0;
}

/* Test hook (docs/ROBUSTNESS.md): CTSNODE_TEST_MAX_PAGES=N caps the
 * database at N pages, so that a write beyond it fails as on a full disk. */
static int test_disk_limit(cts_store *st)
{
	const char *v = getenv("CTSNODE_TEST_MAX_PAGES");
	char sql[64];

	if (!v || !*v)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %ld", atol(v));
	return cts_store_exec(st, sql);
}

/* Test hook (docs/ROBUSTNESS.md): CTSNODE_TEST_ENOSPC_SQLITE=1 makes
 * every write SQLite does to its files (database, -wal, -shm) fail with
 * ENOSPC, through the unix VFS's system-call table, as on a disk with no
 * free block left: SQLite's own error paths run as they would. */
static ssize_t full_write(int fd, const void *buf, size_t n)
{
	(void)fd, (void)buf, (void)n;
	errno = ENOSPC;
	return -1;
}

static ssize_t full_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	(void)off;
	return full_write(fd, buf, n);
}

static int full_fallocate(int fd, off_t off, off_t len)
{
	(void)fd, (void)off, (void)len;
	return ENOSPC; /* posix_fallocate returns the error */
}

static void test_disk_full(void)
{
	static int done;
	const char *v = getenv("CTSNODE_TEST_ENOSPC_SQLITE");
	sqlite3_vfs *vfs;

	if (done || !v || strcmp(v, "1") != 0 || !(vfs = sqlite3_vfs_find(NULL)) ||
	    vfs->iVersion < 3 || !vfs->xSetSystemCall)
		return;
	done = 1;
	vfs->xSetSystemCall(vfs, "write", (sqlite3_syscall_ptr)full_write);
	vfs->xSetSystemCall(vfs, "pwrite", (sqlite3_syscall_ptr)full_pwrite);
	vfs->xSetSystemCall(vfs, "pwrite64", (sqlite3_syscall_ptr)full_pwrite);
	vfs->xSetSystemCall(vfs, "fallocate", (sqlite3_syscall_ptr)full_fallocate);
}

/* A new database file is made here, mode 0600, before SQLite sees it:
 * SQLite creates the -wal and -shm files with the mode of the database.
 * An existing one that others may read is tightened. */
static int private_file(const char *path, int create)
{
	struct stat sb;
	int fd;

	if (create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return close(fd) == 0
			           ? 0
			           : cts_error_set(CTS_EIO, "impossible de créer la base %s : %s",
			                           path, strerror(errno));
		if (errno != EEXIST)
			return cts_error_set(CTS_EIO, "impossible de créer la base %s : %s", path,
			                     errno == ENOSPC ? CTS_STORE_DISK_FULL
			                                     : strerror(errno));
	}
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) &&
	    sb.st_uid == geteuid())
		chmod(path, 0600);
	return 0;
}

/* "file:" URI of path for sqlite3_open_v2 (SQLITE_OPEN_URI), with
 * `query` appended; malloc'd. */
static char *file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(path), k = 0;
	char *u = malloc(5 + 3 * len + strlen(query) + 2);

	if (!u)
		return NULL;
	memcpy(u, "file:", 5);
	k = 5;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '?' || c == '#') {
			u[k++] = '%';
			u[k++] = hex[c >> 4];
			u[k++] = hex[c & 15];
		} else {
			u[k++] = (char)c;
		}
	}
	u[k++] = '?';
	strcpy(u + k, query);
	return u;
}

/* A read-only database is opened "immutable" (no lock, no -shm) unless a
 * -wal file holds transactions not yet in the database: those need the
 * -shm, which SQLite can then read without writing it. */
static char *readonly_uri(const char *path)
{
	char wal[4200];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return file_uri(path,
	                stat(wal, &sb) == 0 && sb.st_size > 0 ? "mode=ro" : "mode=ro&immutable=1");
}

typedef enum { OPEN_RW, OPEN_CREATE, OPEN_RO } open_mode;

static int store_open(cts_store **out, const char *path, open_mode mode)
{
	cts_store *st;
	char *uri = NULL;
	int flags = SQLITE_OPEN_NOFOLLOW, rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->cache = calloc(1, sizeof(*st->cache)))) {
		free(st);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	st->clock = cts_clock_now_ms;
	st->readonly = mode == OPEN_RO;
	test_disk_full();
	if (mode == OPEN_RO) {
		flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
		if (!(uri = readonly_uri(path))) {
			cts_store_free(st);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
	} else {
		flags |= SQLITE_OPEN_READWRITE | (mode == OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
		if ((rc = private_file(path, mode == OPEN_CREATE)) < 0) {
			cts_store_free(st);
			return rc;
		}
	}
	rc = sqlite3_open_v2(uri ? uri : path, &st->db, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		rc = st->db ? cts_store_error(st, "ouverture")
		            : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		cts_error_prefix(rc, "impossible d'ouvrir la base %s : ", path);
		cts_store_free(st);
		return rc;
	}
	sqlite3_extended_result_codes(st->db, 0);
	sqlite3_busy_timeout(st->db, 10000);
	if (mode == OPEN_RO)
		rc = cts_store_exec(st, "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;");
	else
		rc = cts_store_exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		                        " PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;");
	if (rc < 0 || (rc = migrate(st)) < 0 ||
	    (mode != OPEN_RO && (rc = test_disk_limit(st)) < 0)) {
		cts_error_prefix(rc, "base %s : ", path);
		cts_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

int cts_store_open(cts_store **out, const char *path, int create)
{
	return store_open(out, path, create ? OPEN_CREATE : OPEN_RW);
}

int cts_store_open_readonly(cts_store **out, const char *path)
{
	return store_open(out, path, OPEN_RO);
}

/* Read-only connection to the database file at path (no -shm written
 * when it can be avoided is not needed here: the home is writable). */
static int open_probe(const char *path, sqlite3 **db)
{
	char *uri = file_uri(path, "mode=ro");
	int rc;

	*db = NULL;
	if (!uri)
		return SQLITE_NOMEM;
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
	                     NULL);
	free(uri);
	if (*db)
		sqlite3_extended_result_codes(*db, 0);
	return rc;
}

/* The meta keys that are all present, as a count. */
static int meta_present(sqlite3 *db, const char *const *keys, int *missing)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM meta WHERE key = ?1 AND value <> ''",
	                            -1, &s, NULL);

	*missing = 0;
	for (size_t i = 0; rc == SQLITE_OK && keys && keys[i]; i++) {
		sqlite3_bind_text(s, 1, keys[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			*missing += sqlite3_column_int(s, 0) == 0;
			rc = SQLITE_OK;
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

int cts_store_probe(const char *path, const char *const *meta_keys)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char bad[200] = "";
	int rc, code, missing = 0;

	if ((rc = open_probe(path, &db)) == SQLITE_OK &&
	    (rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL)) == SQLITE_OK &&
	    (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (v && strcmp(v, "ok") != 0)
			snprintf(bad, sizeof(bad), "contrôle d'intégrité : %.150s", v);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_OK && !bad[0] &&
	    (rc = meta_present(db, meta_keys, &missing)) == SQLITE_OK && missing)
		snprintf(bad, sizeof(bad), "identité du nœud absente");
	code = db ? sqlite3_errcode(db) : rc;
	if (bad[0] || (rc != SQLITE_OK &&
	               (code == SQLITE_CORRUPT || code == SQLITE_NOTADB || code == SQLITE_ERROR)))
		rc = cts_error_set(CTS_EDB, "base %s endommagée (%s)", path,
		                   bad[0] ? bad : sqlite3_errmsg(db));
	else if (rc == SQLITE_OK)
		rc = 0;
	else if (!db || rc == SQLITE_NOMEM)
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	else if (is_disk_full(db, code))
		rc = cts_error_set(CTS_EIO, "base %s : " CTS_STORE_DISK_FULL, path);
	else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		rc = cts_error_set(CTS_EBUSY, "base %s occupée par un autre processus", path);
	else
		rc = cts_error_set(CTS_EIO, "base %s illisible : %s", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

int64_t cts_store_peek_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (open_probe(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

void cts_store_free(cts_store *st)
{
	if (!st)
		return;
	if (st->cache) {
		for (size_t i = 0; i < st->cache->n; i++)
			sqlite3_finalize(st->cache->stmt[i]);
		for (size_t i = 0; i < CTS_STMT_SLOTS; i++)
			sqlite3_finalize(st->cache->slot[i]);
		free(st->cache);
	}
	sqlite3_close(st->db);
	free(st);
}

static void stmt_ready(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int cts_store_stmt(cts_store *st, sqlite3_stmt **out, const char *sql)
{
	struct cts_stmt_cache *c = st->cache;
	sqlite3_stmt *s = NULL;

	/* Callers mostly pass string literals: look for the same pointer
	 * first (confirmed by the text, since a caller's buffer may be
	 * reused for another statement), then compare texts. */
	for (size_t i = 0; i < c->n; i++) {
		if (c->key[i] == sql && strcmp(c->sql[i], sql) == 0) {
			stmt_ready(c->stmt[i]);
			*out = c->stmt[i];
			return 0;
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->sql[i], sql) == 0) {
			c->key[i] = sql;
			stmt_ready(c->stmt[i]);
			*out = c->stmt[i];
			return 0;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return cts_store_error(st, "préparation de requête");
	if (c->n == STMT_CACHE_MAX) {
		/* Cache full: evict the oldest entry. */
		sqlite3_finalize(c->stmt[0]);
		memmove(&c->key[0], &c->key[1], (STMT_CACHE_MAX - 1) * sizeof(c->key[0]));
		memmove(&c->sql[0], &c->sql[1], (STMT_CACHE_MAX - 1) * sizeof(c->sql[0]));
		memmove(&c->stmt[0], &c->stmt[1], (STMT_CACHE_MAX - 1) * sizeof(c->stmt[0]));
		c->n--;
	}
	c->key[c->n] = sql;
	c->sql[c->n] = sqlite3_sql(s); /* owned by the statement: stable */
	c->stmt[c->n++] = s;
	*out = s;
	return 0;
}

int cts_store_stmt_cs(cts_store *st, sqlite3_stmt **out, const char *sql, const char *node,
                      int64_t seq)
{
	int rc = cts_store_stmt(st, out, sql);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(*out, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*out, 2, seq);
	return 0;
}

int cts_store_stmt_slot(cts_store *st, unsigned slot, sqlite3_stmt **out, const char *sql)
{
	struct cts_stmt_cache *c = st->cache;

	*out = NULL;
	if (slot >= CTS_STMT_SLOTS)
		return cts_error_set(CTS_ERR, "emplacement de requête %u hors limites", slot);
	if (c->slot[slot]) {
		stmt_ready(c->slot[slot]);
		*out = c->slot[slot];
		return 0;
	}
	if (!sql)
		return 1;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->slot[slot], NULL) !=
	    SQLITE_OK)
		return cts_store_error(st, "préparation de requête");
	*out = c->slot[slot];
	return 0;
}

/* SQLite rolls a whole transaction back by itself on some errors (a full
 * disk among them): with levels still open on our side, the next
 * statements would run outside any transaction. 1 if that happened. */
static int txn_lost(cts_store *st)
{
	return st->depth > 0 && sqlite3_get_autocommit(st->db);
}

/* The error for a transaction SQLite has rolled back: nothing of it was
 * written; the caller's open levels are gone. */
static int txn_lost_error(cts_store *st)
{
	st->depth = 0;
	if (st->full)
		return cts_error_set(CTS_EIO,
		                     "écriture dans la base annulée : " CTS_STORE_DISK_FULL);
	return cts_error_set(CTS_EIO, "écriture dans la base annulée par SQLite : rien n'a été "
	                              "enregistré, relancez la commande");
}

int cts_store_begin(cts_store *st)
{
	char sql[48];
	int rc;

	if (st->readonly)
		return cts_error_set(CTS_EIO, "%s", CTS_STORE_READ_ONLY);
	if (txn_lost(st))
		return txn_lost_error(st);
	if (st->depth == 0)
		rc = cts_store_exec(st, "BEGIN IMMEDIATE");
	else {
		snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", st->depth);
		rc = cts_store_exec(st, sql);
	}
	if (rc == 0)
		st->depth++;
	return rc;
}

int cts_store_commit(cts_store *st)
{
	char sql[48];
	int rc;

	if (st->depth <= 0)
		return cts_error_set(CTS_ERR, "validation sans transaction ouverte");
	if (txn_lost(st))
		return txn_lost_error(st);
	if (st->depth == 1) {
		cts_crashpoint();
		rc = cts_store_exec(st, "COMMIT");
		cts_crashpoint();
	} else {
		snprintf(sql, sizeof(sql), "RELEASE sp%d", st->depth - 1);
		rc = cts_store_exec(st, sql);
	}
	if (rc == 0)
		st->depth--;
	return rc;
}

void cts_store_rollback(cts_store *st)
{
	char sql[80];

	if (st->depth <= 0)
		return;
	if (txn_lost(st)) {
		st->depth--; /* SQLite rolled everything back already */
		return;
	}
	if (st->depth == 1)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO sp%d; RELEASE sp%d", st->depth - 1,
		         st->depth - 1);
		sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	}
	st->depth--;
}

int cts_store_meta_get(cts_store *st, const char *key, char **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(st, &s, "SELECT value FROM meta WHERE key = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = strdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(st, "lecture de l'état du nœud");
	return CTS_ENOTFOUND;
}

int cts_store_meta_set(cts_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt_args(st, &s,
	                              "INSERT INTO meta(key, value) VALUES (?, ?) "
	                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	                              (const char *const[]){ key, value }, 2)) < 0)
		return rc;
	return cts_store_done(st, s, "écriture de l'état du nœud");
}

int cts_store_meta_get_int(cts_store *st, const char *key, int64_t *out, int64_t dflt)
{
	char *v = NULL, *end;
	int rc = cts_store_meta_get(st, key, &v);

	if (rc == CTS_ENOTFOUND) {
		*out = dflt;
		return 0;
	}
	if (rc < 0)
		return rc;
	*out = strtoll(v, &end, 10);
	rc = *end ? cts_error_set(CTS_EDB, "valeur « %s » corrompue dans la base", key) : 0;
	free(v);
	return rc;
}

int cts_store_meta_set_int(cts_store *st, const char *key, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	return cts_store_meta_set(st, key, buf);
}

int cts_store_hlc_next(cts_store *st, uint64_t *out)
{
	int64_t last;
	int rc;

	if ((rc = cts_store_meta_get_int(st, "hlc", &last, 0)) < 0)
		return rc;
	*out = cts_hlc_next((uint64_t)last, st->clock(st->clock_ctx));
	return cts_store_meta_set_int(st, "hlc", (int64_t)*out);
}

int cts_store_hlc_observe(cts_store *st, uint64_t remote)
{
	int64_t last;
	int rc;

	if ((rc = cts_store_meta_get_int(st, "hlc", &last, 0)) < 0)
		return rc;
	if (remote <= (uint64_t)last)
		return 0;
	return cts_store_meta_set_int(st, "hlc", (int64_t)cts_hlc_recv((uint64_t)last, remote));
}

int cts_store_done(cts_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, what);
}

int cts_store_run_cs(cts_store *st, const char *sql, const char *node, int64_t seq,
                     const cts_store_val *vals, int nvals, const char *what)
{
	sqlite3_stmt *s;
	int rc = cts_store_stmt_cs(st, &s, sql, node, seq);

	if (rc < 0)
		return rc;
	for (int i = 0; i < nvals; i++) {
		const cts_store_val *v = &vals[i];
		if (v->kind == CTS_VAL_TEXT)
			sqlite3_bind_text(s, i + 3, v->p, -1, SQLITE_STATIC);
		else if (v->kind == CTS_VAL_BLOB)
			sqlite3_bind_blob(s, i + 3, v->p, (int)v->len, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, i + 3, v->i);
	}
	return cts_store_done(st, s, what);
}

int cts_store_int_cs(cts_store *st, const char *sql, const char *node, int64_t seq, int64_t *out,
                     const char *what)
{
	sqlite3_stmt *s;
	int rc = cts_store_stmt_cs(st, &s, sql, node, seq);

	*out = 0;
	if (rc < 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cts_store_error(st, what);
}

void cts_store_bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(s, i, json_string_value(v), (int)json_string_length(v),
		                  SQLITE_STATIC);
	else if (json_is_integer(v))
		sqlite3_bind_int64(s, i, json_integer_value(v));
	else if (json_is_true(v))
		sqlite3_bind_int(s, i, 1);
	else if (json_is_false(v))
		sqlite3_bind_int(s, i, 0);
	else
		sqlite3_bind_null(s, i);
}

int cts_store_rows_json(cts_store *st, sqlite3_stmt *s, json_t **out)
{
	json_t *arr = json_array();
	int rc, ncol = sqlite3_column_count(s);

	*out = NULL;
	if (!arr)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < ncol; i++) {
			json_t *v;
			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(s, i));
				break;
			case SQLITE_TEXT:
				v = json_stringn((const char *)sqlite3_column_text(s, i),
				                 (size_t)sqlite3_column_bytes(s, i));
				break;
			default:
				v = json_null();
			}
			json_object_set_new(o, sqlite3_column_name(s, i), v);
		}
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return cts_store_error(st, "lecture de la base");
	}
	*out = arr;
	return 0;
}

int cts_store_stmt_args(cts_store *st, sqlite3_stmt **out, const char *sql, const char *const *args,
                        int nargs)
{
	int rc;

	if ((rc = cts_store_stmt(st, out, sql)) < 0)
		return rc;
	for (int i = 0; i < nargs; i++)
		if (args[i])
			sqlite3_bind_text(*out, i + 1, args[i], -1, SQLITE_TRANSIENT);
	return 0;
}

int cts_store_rows_args(cts_store *st, const char *sql, const char *const *args, int nargs,
                        json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt_args(st, &s, sql, args, nargs)) < 0)
		return rc;
	return cts_store_rows_json(st, s, out);
}

int cts_store_rows_of(cts_store *st, const char *sql, const char *arg, json_t **out)
{
	return cts_store_rows_args(st, sql, &arg, 1, out);
}
