#include "scope.h"

#include "error.h"
#include "history.h"
#include "record.h"
#include "registry.h"
#include "store.h"
#include "tables.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cts_scope_reads_all(const cts_node *n)
{
	return n->role == CTS_ROLE_AUTHORITY;
}

/* reads_node, with `unknown` the answer for a node the registry does not
 * enrol. */
static int judge(cts_node *n, const char *node, const char *pinned_authority, int unknown)
{
	cts_registry_entry e;
	char *auth = NULL;
	int rc, yes;

	if (cts_scope_reads_all(n) || strcmp(node, n->id) == 0 ||
	    (pinned_authority && strcmp(node, pinned_authority) == 0))
		return 1;
	if ((rc = cts_store_meta_get(n->store, "authority_node", &auth)) == 0) {
		yes = strcmp(auth, node) == 0;
		free(auth);
		if (yes)
			return 1;
	} else if (rc != CTS_ENOTFOUND) {
		return rc;
	}
	cts_error_clear();
	if ((rc = cts_registry_get(n, node, &e)) == CTS_ENOTFOUND) {
		cts_error_clear();
		return unknown; /* not enrolled (yet): its territory is unknown */
	}
	if (rc < 0)
		return rc;
	yes = strcmp(e.role, "authority") == 0 || strcmp(e.territory, n->territory) == 0;
	cts_registry_entry_dispose(&e);
	return yes;
}

int cts_scope_reads_node(cts_node *n, const char *node, const char *pinned_authority)
{
	return judge(n, node, pinned_authority, 0);
}

int cts_scope_excludes_node(cts_node *n, const char *node)
{
	int rc = judge(n, node, NULL, 1);

	return rc < 0 ? rc : !rc;
}

int cts_scope_fingerprint(cts_node *n, const char *pinned_authority, char **out)
{
	sqlite3_stmt *s;
	const char *text;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT ?1 || ' ' || coalesce((SELECT value FROM meta WHERE key = "
	         "'authority_node'), '') || ' ' || coalesce((SELECT group_concat(node, ',')"
	         " FROM (SELECT node FROM registry WHERE node IS NOT NULL AND (role = 'authority'"
	         " OR territory_code = ?2) ORDER BY node)), '')")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, pinned_authority ? pinned_authority : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, n->territory, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	text = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if (text && !(*out = strdup(text)))
		rc = SQLITE_NOMEM;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW || !*out)
		return cts_store_error(n->store, "lecture du registre");
	return 0;
}

int cts_scope_region_code(cts_node *n, char **out)
{
	cts_registry_entry e;
	char *auth = NULL;
	int rc;

	*out = NULL;
	if (cts_scope_reads_all(n))
		return (*out = strdup(n->territory))
		           ? 0
		           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_registry_authority(n, &auth)) < 0)
		return rc;
	rc = cts_registry_get(n, auth, &e);
	free(auth);
	if (rc < 0)
		return rc;
	*out = e.territory;
	e.territory = NULL;
	cts_registry_entry_dispose(&e);
	return 0;
}

/* codes[] gains code unless it is the region's or already there. */
static int add_code(json_t *codes, const char *code, const char *region)
{
	size_t i;
	json_t *v;

	if (!code || (region && strcmp(code, region) == 0))
		return 0;
	json_array_foreach(codes, i, v)
	{
		if (strcmp(json_string_value(v), code) == 0)
			return 0;
	}
	return json_array_append_new(codes, json_string(code)) == 0
	           ? 0
	           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
}

/* The territories whose digests status shows: this device's own, or on
 * the regional node every territory the records or the registry name. */
static int digest_codes(cts_node *n, const char *region, json_t *codes)
{
	json_t *held = NULL, *reg = NULL, *v;
	size_t i;
	int rc;

	if (!cts_scope_reads_all(n))
		return add_code(codes, n->territory, NULL);
	if ((rc = cts_record_territories(n->store, region, &held)) < 0 ||
	    (rc = cts_registry_list(n, 0, &reg)) < 0)
		goto out;
	json_array_foreach(held, i, v)
	{
		if ((rc = add_code(codes, json_string_value(v), region)) < 0)
			goto out;
	}
	json_array_foreach(reg, i, v)
	{
		if ((rc = add_code(codes, json_string_value(json_object_get(v, "territory_code")),
		                   region)) < 0)
			goto out;
	}
out:
	json_decref(held);
	json_decref(reg);
	return rc;
}

int cts_scope_digests(cts_node *n, json_t **out)
{
	json_t *codes = json_array(), *d = json_object();
	const char **terrs = NULL;
	char(*hex)[65] = NULL, *region = NULL;
	size_t k = 0;
	int rc;

	*out = NULL;
	if (!codes || !d) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
		goto out;
	}
	if ((rc = cts_scope_region_code(n, &region)) < 0 && rc != CTS_ENOTFOUND)
		goto out;
	cts_error_clear();
	if ((rc = digest_codes(n, region, codes)) < 0 || (k = json_array_size(codes)) == 0)
		goto out;
	terrs = calloc(k, sizeof(*terrs));
	hex = calloc(k, sizeof(*hex));
	if (!terrs || !hex) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		terrs[i] = json_string_value(json_array_get(codes, i));
	if ((rc = cts_record_digest_territories(n->store, region, terrs, k, hex)) < 0)
		goto out;
	for (size_t i = 0; i < k && rc == 0; i++)
		if (json_object_set_new(d, terrs[i], json_string(hex[i])) < 0)
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
out:
	free(terrs);
	free(hex);
	free(region);
	json_decref(codes);
	if (rc < 0) {
		json_decref(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Run sql with ?1 = this node's territory, ?2 = the region code. For a
 * query, *out (may be NULL) receives its first column as an integer. */
static int run(cts_node *n, const char *sql, const char *region, int64_t *out)
{
	const char *args[2] = { n->territory, region };
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt_args(n->store, &s, sql, args, 2)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (out)
			*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0
	                         : cts_store_error(n->store, "nettoyage des autres territoires");
}

/* The nodes of other territories (their changesets held here, or the
 * registry's), whose history files and branch markers go. */
#define OTHER_NODES                                                                                \
	"SELECT node FROM changeset WHERE territory NOT IN (?1, ?2) UNION SELECT node FROM "       \
	"registry WHERE node IS NOT NULL AND role != 'authority' AND territory_code != ?1"

static const char *const purge_sql[] = {
	"DELETE FROM inbox WHERE node IN (" OTHER_NODES ")",
	"DELETE FROM fork_known WHERE node IN (" OTHER_NODES ")",
	"DELETE FROM changeset_seen WHERE node IN (" OTHER_NODES ")",
	"DELETE FROM meta WHERE (key GLOB 'branch_*:*' OR key GLOB 'commits_checked:*')"
	" AND substr(key, instr(key, ':') + 1) IN (" OTHER_NODES ")",
	"DELETE FROM changeset WHERE territory NOT IN (?1, ?2)",
	"DELETE FROM rstate WHERE territory NOT IN (?1, ?2)",
	"DELETE FROM conflict WHERE territory NOT IN (?1, ?2)",
};

static int purge_tables(cts_node *n, const char *region, json_t **others)
{
	int rc;

	if ((rc = cts_store_rows_of(
	         n->store,
	         "SELECT DISTINCT node FROM changeset WHERE territory NOT IN (?1, "
	         "(SELECT territory_code FROM registry WHERE role = 'authority'))",
	         n->territory, others)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(purge_sql) / sizeof(purge_sql[0]); i++)
		if ((rc = run(n, purge_sql[i], region, NULL)) < 0)
			return rc;
	for (size_t i = 0; i < json_array_size(*others); i++) {
		json_t *v = json_array_get(*others, i);
		if ((rc = cts_history_delete_node(
		         n, json_string_value(json_object_get(v, "node")))) < 0)
			return rc;
	}
	for (size_t i = 0; i < cts_table_count; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE territory NOT IN (?1, ?2)",
		         cts_tables[i].name);
		if ((rc = run(n, sql, region, NULL)) < 0)
			return rc;
	}
	return 0;
}

/* Does this device hold anything of another territory? Run before every
 * sync, so it must not read every record: "territory NOT IN (?1, ?2)" on
 * rstate read the whole table (48 of the 60 ms of a no-op sync on a
 * 1 M-operation home, BENCHMARKS.md). The same test as three ranges of
 * territory under each record kind (the kinds found by skipping along the
 * (tbl, territory, rid) index), each a search of that index. */
static const char HELD_SQL[] =
    "WITH RECURSIVE k(tbl) AS (SELECT (SELECT min(tbl) FROM rstate)"
    " UNION ALL SELECT (SELECT min(tbl) FROM rstate WHERE tbl > k.tbl) FROM k"
    " WHERE k.tbl IS NOT NULL)"
    " SELECT EXISTS (SELECT 1 FROM changeset WHERE territory NOT IN (?1, ?2))"
    " OR EXISTS (SELECT 1 FROM k, rstate r WHERE r.tbl = k.tbl"
    " AND r.territory < min(?1, ?2) AND r.st <> '{}')"
    " OR EXISTS (SELECT 1 FROM k, rstate r WHERE r.tbl = k.tbl"
    " AND r.territory > min(?1, ?2) AND r.territory < max(?1, ?2) AND r.st <> '{}')"
    " OR EXISTS (SELECT 1 FROM k, rstate r WHERE r.tbl = k.tbl"
    " AND r.territory > max(?1, ?2) AND r.st <> '{}')"
    " OR EXISTS (SELECT 1 FROM inbox WHERE node IN (" OTHER_NODES "))";

int cts_scope_purge(cts_node *n, int *purged)
{
	json_t *others = NULL;
	char *region = NULL;
	int64_t held = 0;
	int rc;

	if (purged)
		*purged = 0;
	if (cts_scope_reads_all(n))
		return 0;
	if ((rc = cts_scope_region_code(n, &region)) == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0; /* nothing of the authority yet: nothing of others either */
	}
	if (rc < 0)
		return rc;
	if ((rc = run(n, HELD_SQL, region, &held)) < 0 || !held)
		goto out;
	if ((rc = cts_store_begin(n->store)) < 0)
		goto out;
	if ((rc = purge_tables(n, region, &others)) < 0) {
		cts_store_rollback(n->store);
		goto out;
	}
	if ((rc = cts_store_commit(n->store)) < 0)
		goto out;
	if (purged)
		*purged = 1;
out:
	json_decref(others);
	free(region);
	return rc;
}
