#include "auditmap.h"

#include "error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cts_auditmap {
	sqlite3 *db;
	sqlite3_stmt *add, *count, *set_intro, *get_intro, *forks, *versions;
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
	if (sqlite3_prepare_v2(m->db,
	                       "INSERT OR IGNORE INTO version (node, seq, blob, branch, cmt)"
	                       " SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT count(*) FROM version"
	                       " WHERE node = ?1 AND seq = ?2) < ?6",
	                       -1, &m->add, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m->db, "SELECT count(*) FROM version WHERE node = ? AND seq = ?", -1,
	                       &m->count, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        m->db, "INSERT OR REPLACE INTO introduced (branch, path, cmt) VALUES (?, ?, ?)", -1,
	        &m->set_intro, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m->db, "SELECT cmt FROM introduced WHERE branch = ? AND path = ?",
	                       -1, &m->get_intro, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m->db,
	                       "SELECT node, seq FROM version GROUP BY node, seq HAVING count(*) > "
	                       "1 ORDER BY min(rowid)",
	                       -1, &m->forks, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        m->db,
	        "SELECT blob, cmt, branch FROM version WHERE node = ? AND seq = ? ORDER BY rowid",
	        -1, &m->versions, NULL) != SQLITE_OK)
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
	sqlite3_finalize(m->add);
	sqlite3_finalize(m->count);
	sqlite3_finalize(m->set_intro);
	sqlite3_finalize(m->get_intro);
	sqlite3_finalize(m->forks);
	sqlite3_finalize(m->versions);
	sqlite3_close(m->db);
	free(m);
}

int cts_auditmap_add_version(cts_auditmap *m, const char *node, int64_t seq,
                             const unsigned char blob[20], const char *branch,
                             const unsigned char commit[20])
{
	int rc;

	sqlite3_bind_text(m->add, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(m->add, 2, seq);
	sqlite3_bind_blob(m->add, 3, blob, 20, SQLITE_STATIC);
	sqlite3_bind_text(m->add, 4, branch, -1, SQLITE_STATIC);
	sqlite3_bind_blob(m->add, 5, commit, 20, SQLITE_STATIC);
	sqlite3_bind_int(m->add, 6, CTS_AUDITMAP_MAX_VERSIONS);
	rc = sqlite3_step(m->add);
	sqlite3_reset(m->add);
	return rc == SQLITE_DONE ? 0 : db_error(m, "versions des changesets");
}

int cts_auditmap_count_versions(cts_auditmap *m, const char *node, int64_t seq, size_t *count)
{
	int rc;

	*count = 0;
	sqlite3_bind_text(m->count, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(m->count, 2, seq);
	if ((rc = sqlite3_step(m->count)) == SQLITE_ROW)
		*count = (size_t)sqlite3_column_int64(m->count, 0);
	sqlite3_reset(m->count);
	return rc == SQLITE_ROW ? 0 : db_error(m, "versions des changesets");
}

int cts_auditmap_each_fork(cts_auditmap *m,
                           int (*cb)(void *ctx, const char *node, int64_t seq,
                                     const cts_auditmap_version *v, size_t n),
                           void *ctx)
{
	cts_auditmap_version v[CTS_AUDITMAP_MAX_VERSIONS];
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(m->forks)) == SQLITE_ROW) {
		char node[65];
		int64_t seq = sqlite3_column_int64(m->forks, 1);
		size_t n = 0;
		int r2;

		snprintf(node, sizeof(node), "%s", (const char *)sqlite3_column_text(m->forks, 0));
		sqlite3_bind_text(m->versions, 1, node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(m->versions, 2, seq);
		while (n < CTS_AUDITMAP_MAX_VERSIONS &&
		       (r2 = sqlite3_step(m->versions)) == SQLITE_ROW) {
			const void *b = sqlite3_column_blob(m->versions, 0),
			           *c = sqlite3_column_blob(m->versions, 1);
			if (!b || !c || sqlite3_column_bytes(m->versions, 0) != 20 ||
			    sqlite3_column_bytes(m->versions, 1) != 20)
				continue;
			memcpy(v[n].blob, b, 20);
			memcpy(v[n].commit, c, 20);
			snprintf(v[n].branch, sizeof(v[n].branch), "%s",
			         (const char *)sqlite3_column_text(m->versions, 2));
			n++;
		}
		sqlite3_reset(m->versions);
		stop = cb(ctx, node, seq, v, n);
	}
	sqlite3_reset(m->forks);
	if (stop)
		return stop;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_error(m, "bifurcations");
}

int cts_auditmap_set_introduced(cts_auditmap *m, int branch, const char *path,
                                const unsigned char commit[20])
{
	int rc;

	sqlite3_bind_int(m->set_intro, 1, branch);
	sqlite3_bind_text(m->set_intro, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(m->set_intro, 3, commit, 20, SQLITE_STATIC);
	rc = sqlite3_step(m->set_intro);
	sqlite3_reset(m->set_intro);
	return rc == SQLITE_DONE ? 0 : db_error(m, "commits des fichiers");
}

int cts_auditmap_get_introduced(cts_auditmap *m, int branch, const char *path,
                                unsigned char commit[20])
{
	int rc, found = 0;

	sqlite3_bind_int(m->get_intro, 1, branch);
	sqlite3_bind_text(m->get_intro, 2, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->get_intro)) == SQLITE_ROW &&
	    sqlite3_column_bytes(m->get_intro, 0) == 20) {
		memcpy(commit, sqlite3_column_blob(m->get_intro, 0), 20);
		found = 1;
	}
	sqlite3_reset(m->get_intro);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(m, "commits des fichiers");
	return found;
}
