#define _GNU_SOURCE /* syncfs */
#include "history.h"

#include "error.h"
#include "tables.h" /* cts_valid_node_id */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cts_history_write(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
                      const char *sig, size_t sig_len)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt_cs(n->store, &s,
	                            "INSERT INTO history (node, seq, json, sig) VALUES (?, ?, ?, ?)"
	                            " ON CONFLICT (node, seq) DO UPDATE SET json = excluded.json,"
	                            " sig = excluded.sig"
	                            " WHERE json <> excluded.json OR sig <> excluded.sig",
	                            node, seq)) < 0)
		return rc;
	sqlite3_bind_blob(s, 3, json, (int)json_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sig, (int)sig_len, SQLITE_STATIC);
	if ((rc = cts_store_done(n->store, s, "enregistrement de l'historique")) < 0)
		return cts_error_prefix(rc, "changeset n°%lld de %s : ", (long long)seq, node);
	return 0;
}

/* A malloc'd, NUL-terminated copy of column i of s. */
static char *column_copy(sqlite3_stmt *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t l = (size_t)sqlite3_column_bytes(s, i);
	char *c = malloc(l + 1);

	if (c) {
		if (l)
			memcpy(c, p, l);
		c[l] = '\0';
		*len = l;
	}
	return c;
}

int cts_history_get(cts_node *n, const char *node, int64_t seq, char **json, size_t *json_len,
                    char **sig, size_t *sig_len)
{
	sqlite3_stmt *s;
	int rc;

	*json = *sig = NULL;
	if ((rc = cts_store_stmt_cs(n->store, &s,
	                            "SELECT json, sig FROM history WHERE node = ? AND seq = ?",
	                            node, seq)) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*json = column_copy(s, 0, json_len);
		*sig = column_copy(s, 1, sig_len);
		sqlite3_reset(s);
		if (*json && *sig)
			return 0;
		free(*json);
		free(*sig);
		*json = *sig = NULL;
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture de l'historique");
	return cts_error_set(CTS_ENOTFOUND,
	                     "changeset n°%lld de %s absent de l'historique de ce poste",
	                     (long long)seq, node);
}

int cts_history_delete_node(cts_node *n, const char *node)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "DELETE FROM history WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	return cts_store_done(n->store, s, "suppression de l'historique d'un autre territoire");
}

/* dir + "/changesets/<node>/<seq 12 digits>.json" (+ ".sig" when sig). */
static void file_path(char *buf, size_t size, const char *dir, const char *node, int64_t seq,
                      int sig)
{
	snprintf(buf, size, "%s/changesets/%s/%012lld.json%s", dir, node, (long long)seq,
	         sig ? ".sig" : "");
}

int cts_history_read(const char *dir, const char *node, int64_t seq, char **json, size_t *json_len,
                     char **sig, size_t *sig_len)
{
	char path[4300];
	int rc;

	*json = *sig = NULL;
	file_path(path, sizeof(path), dir, node, seq, 0);
	if ((rc = cts_read_file(path, CTS_CHANGESET_MAX_BYTES, json, json_len)) < 0)
		return rc;
	file_path(path, sizeof(path), dir, node, seq, 1);
	if ((rc = cts_read_file(path, CTS_SIG_MAX_BYTES, sig, sig_len)) < 0) {
		free(*json);
		*json = NULL;
	}
	return rc;
}

/* One changeset of the export: its two files (no fsync: one syncfs at the end). */
static int export_one(const char *dir, sqlite3_stmt *s)
{
	const char *node = (const char *)sqlite3_column_text(s, 0);
	int64_t seq = sqlite3_column_int64(s, 1);
	char path[4300];
	int rc;

	if (!node || !cts_valid_node_id(node))
		return cts_error_set(CTS_EDB, "historique : nom de nœud invalide dans la base");
	snprintf(path, sizeof(path), "%s/changesets/%s", dir, node);
	if ((rc = cts_mkdirs(path)) < 0)
		return rc;
	file_path(path, sizeof(path), dir, node, seq, 0);
	if ((rc = cts_write_file_replace(path, sqlite3_column_blob(s, 2),
	                                 (size_t)sqlite3_column_bytes(s, 2), 0644, 0)) < 0)
		return rc;
	file_path(path, sizeof(path), dir, node, seq, 1);
	return cts_write_file_replace(path, sqlite3_column_blob(s, 3),
	                              (size_t)sqlite3_column_bytes(s, 3), 0644, 0);
}

/* The files written reach the disk (one flush of DIR's file system). */
static int flush_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || syncfs(fd) != 0)
		rc = cts_error_set(CTS_EIO, "impossible d'écrire %s sur le disque : %s", dir,
		                   errno == ENOSPC ? "disque plein" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int cts_history_export(cts_node *n, const char *dir, int64_t *count)
{
	sqlite3_stmt *s;
	int64_t k = 0;
	int rc;

	if (count)
		*count = 0;
	if ((rc = cts_store_stmt(
	         n->store, &s, "SELECT node, seq, json, sig FROM history ORDER BY node, seq")) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = export_one(dir, s)) < 0) {
			sqlite3_reset(s);
			return cts_error_prefix(rc, "export de l'historique : ");
		}
		k++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture de l'historique");
	if (k > 0 && (rc = flush_dir(dir)) < 0)
		return rc;
	if (count)
		*count = k;
	return 0;
}
