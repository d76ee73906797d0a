#include "auditmap.h"

#include "error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prepared statements, by their index in stmt_sql. */
enum { ADD, COUNT, SET_INTRO, GET_INTRO, FORKS, VERSIONS, NSTMT };

static const char *const stmt_sql[NSTMT] = {
	[ADD] = ("INSERT OR IGNORE INTO version (node, seq, blob, branch, cmt)"
	         " SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT count(*) FROM version"
	         " WHERE node = ?1 AND seq = ?2) < ?6"),
	[COUNT] = "SELECT count(*) FROM version WHERE node = ? AND seq = ?",
	[SET_INTRO] = "INSERT OR REPLACE INTO introduced (branch, path, cmt) VALUES (?, ?, ?)",
	[GET_INTRO] = "SELECT cmt FROM introduced WHERE branch = ? AND path = ?",
	[FORKS] = ("SELECT node, seq FROM version GROUP BY node, seq HAVING count(*) > 1"
	           " ORDER BY min(rowid)"),
	[VERSIONS] =
	    "SELECT blob, cmt, branch FROM version WHERE node = ? AND seq = ? ORDER BY rowid",
};

struct cts_auditmap {
	sqlite3 *db;
	sqlite3_stmt *st[NSTMT];
};

static int db_error(cts_auditmap *m, const char *what)
{
	return cts_error_set(CTS_EDB, "audit : %s : %s", what, m->db ? sqlite3_errmsg(m->db) : "?");
}

int cts_auditmap_open(cts_auditmap **out)
{
	cts_auditmap *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* "": a private temporary database on disk, removed when closed. */
	if (sqlite3_open_v2("", &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(
	        m->db,
	        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4096;"
	        "PRAGMA temp_store = FILE;"
	        "CREATE TABLE version (node TEXT NOT NULL, seq INTEGER NOT NULL, blob BLOB NOT "
	        "NULL,"
	        " branch TEXT NOT NULL, cmt BLOB NOT NULL);"
	        "CREATE UNIQUE INDEX version_key ON version (node, seq, blob);"
	        "CREATE TABLE introduced (branch INTEGER NOT NULL, path TEXT NOT NULL, cmt BLOB "
	        "NOT NULL,"
	        " PRIMARY KEY (branch, path)) WITHOUT ROWID;"
	        "BEGIN;",
	        NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < NSTMT; i++)
		if (sqlite3_prepare_v2(m->db, stmt_sql[i], -1, &m->st[i], NULL) != SQLITE_OK)
			goto fail;
	*out = m;
	return 0;
fail : {
	int rc = db_error(m, "base temporaire");
	cts_auditmap_free(m);
	return rc;
}
}

void cts_auditmap_free(cts_auditmap *m)
{
	if (!m)
		return;
	for (int i = 0; i < NSTMT; i++)
		sqlite3_finalize(m->st[i]);
	sqlite3_close(m->db);
	free(m);
}

int cts_auditmap_add_version(cts_auditmap *m, const char *node, int64_t seq,
                             const unsigned char blob[20], const char *branch,
                             const unsigned char commit[20])
{
	int rc;

	sqlite3_bind_text(m->st[ADD], 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(m->st[ADD], 2, seq);
	sqlite3_bind_blob(m->st[ADD], 3, blob, 20, SQLITE_STATIC);
	sqlite3_bind_text(m->st[ADD], 4, branch, -1, SQLITE_STATIC);
	sqlite3_bind_blob(m->st[ADD], 5, commit, 20, SQLITE_STATIC);
	sqlite3_bind_int(m->st[ADD], 6, CTS_AUDITMAP_MAX_VERSIONS);
	rc = sqlite3_step(m->st[ADD]);
	sqlite3_reset(m->st[ADD]);
	return rc == SQLITE_DONE ? 0 : db_error(m, "versions des changesets");
}

int cts_auditmap_count_versions(cts_auditmap *m, const char *node, int64_t seq, size_t *count)
{
	int rc;

	*count = 0;
	sqlite3_bind_text(m->st[COUNT], 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(m->st[COUNT], 2, seq);
	if ((rc = sqlite3_step(m->st[COUNT])) == SQLITE_ROW)
		*count = (size_t)sqlite3_column_int64(m->st[COUNT], 0);
	sqlite3_reset(m->st[COUNT]);
	return rc == SQLITE_ROW ? 0 : db_error(m, "versions des changesets");
}

int cts_auditmap_each_fork(cts_auditmap *m,
                           int (*cb)(void *ctx, const char *node, int64_t seq,
                                     const cts_auditmap_version *v, size_t n),
                           void *ctx)
{
	cts_auditmap_version v[CTS_AUDITMAP_MAX_VERSIONS];
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(m->st[FORKS])) == SQLITE_ROW) {
		char node[65];
		int64_t seq = sqlite3_column_int64(m->st[FORKS], 1);
		size_t n = 0;
		int r2;

		snprintf(node, sizeof(node), "%s",
		         (const char *)sqlite3_column_text(m->st[FORKS], 0));
		sqlite3_bind_text(m->st[VERSIONS], 1, node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(m->st[VERSIONS], 2, seq);
		while (n < CTS_AUDITMAP_MAX_VERSIONS &&
		       (r2 = sqlite3_step(m->st[VERSIONS])) == SQLITE_ROW) {
			const void *b = sqlite3_column_blob(m->st[VERSIONS], 0),
			           *c = sqlite3_column_blob(m->st[VERSIONS], 1);
			if (!b || !c || sqlite3_column_bytes(m->st[VERSIONS], 0) != 20 ||
			    sqlite3_column_bytes(m->st[VERSIONS], 1) != 20)
				continue;
			memcpy(v[n].blob, b, 20);
			memcpy(v[n].commit, c, 20);
			snprintf(v[n].branch, sizeof(v[n].branch), "%s",
			         (const char *)sqlite3_column_text(m->st[VERSIONS], 2));
			n++;
		}
		sqlite3_reset(m->st[VERSIONS]);
		stop = cb(ctx, node, seq, v, n);
	}
	sqlite3_reset(m->st[FORKS]);
	if (stop)
		return stop;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_error(m, "bifurcations");
}

int cts_auditmap_set_introduced(cts_auditmap *m, int branch, const char *path,
                                const unsigned char commit[20])
{
	int rc;

	sqlite3_bind_int(m->st[SET_INTRO], 1, branch);
	sqlite3_bind_text(m->st[SET_INTRO], 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(m->st[SET_INTRO], 3, commit, 20, SQLITE_STATIC);
	rc = sqlite3_step(m->st[SET_INTRO]);
	sqlite3_reset(m->st[SET_INTRO]);
	return rc == SQLITE_DONE ? 0 : db_error(m, "commits des fichiers");
}

int cts_auditmap_get_introduced(cts_auditmap *m, int branch, const char *path,
                                unsigned char commit[20])
{
	int rc, found = 0;

	sqlite3_bind_int(m->st[GET_INTRO], 1, branch);
	sqlite3_bind_text(m->st[GET_INTRO], 2, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->st[GET_INTRO])) == SQLITE_ROW &&
	    sqlite3_column_bytes(m->st[GET_INTRO], 0) == 20) {
		memcpy(commit, sqlite3_column_blob(m->st[GET_INTRO], 0), 20);
		found = 1;
	}
	sqlite3_reset(m->st[GET_INTRO]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(m, "commits des fichiers");
	return found;
}
