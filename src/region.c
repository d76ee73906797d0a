#include "region.h"

#include "error.h"
#include "registry.h"
#include "key.h"
#include "record.h"
#include "rules.h"
#include "strbuf.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int require_authority(cts_node *n)
{
	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL,
		                     "seul le nœud régional (autorité) gère le registre des nœuds");
	return 0;
}

/* The domain rules (rules.h) of the registry entry to write: node id,
 * territory code and a usable key. */
static int check_entry(const char *node, const char *territory, const char *key_line)
{
	json_t *set = json_object();
	int rc;

	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_object_set_new(set, "node", cts_record_text(node));
	json_object_set_new(set, "territory_code", cts_record_text(territory));
	json_object_set_new(set, "role", json_string("territory"));
	json_object_set_new(set, "key", cts_record_text(key_line));
	rc = cts_rules_check_new("registry", set, NULL);
	json_decref(set);
	return rc;
}

int cts_region_enroll(cts_node *n, const char *node, const char *territory, const char *key_line,
                      int *already)
{
	unsigned char pk[32];
	cts_registry_entry cur;
	char rid[37], name[128], *canon = NULL, *owner = NULL;
	sqlite3_stmt *s;
	json_t *set = NULL;
	int rc;

	*already = 0;
	if ((rc = require_authority(n)) < 0)
		return rc;
	if ((rc = check_entry(node, territory, key_line)) < 0)
		return rc;
	if (strcmp(territory, n->territory) == 0)
		return cts_error_set(
		    CTS_EINVAL, "« %s » est le code de la région, pas d'un territoire", territory);
	if ((rc = cts_key_parse_public_line(pk, key_line)) < 0 ||
	    (rc = cts_key_public_line(&canon, pk, NULL)) < 0)
		return rc;
	rc = cts_registry_get(n, node, &cur);
	if (rc == 0) {
		int same = strcmp(cur.key, canon) == 0 && strcmp(cur.territory, territory) == 0;
		cts_registry_entry_dispose(&cur);
		free(canon);
		if (!same)
			return cts_error_set(CTS_EEXISTS,
			                     "le nœud %s est déjà inscrit avec une autre clé ou un "
			                     "autre territoire : "
			                     "inscrivez un nouvel identifiant et révoquez l'ancien",
			                     node);
		*already = 1;
		return 0;
	}
	if (rc != CTS_ENOTFOUND) {
		free(canon);
		return rc;
	}
	/* One key, one node. */
	if ((rc = cts_registry_key_owner(n, canon, &owner)) != CTS_ENOTFOUND) {
		if (rc == 0)
			rc = cts_error_set(CTS_EEXISTS, "cette clé est déjà celle du nœud %s",
			                   owner);
		free(owner);
		free(canon);
		return rc;
	}
	if ((rc = cts_store_begin(n->store)) < 0) {
		free(canon);
		return rc;
	}
	snprintf(name, sizeof(name), "registry:%s", node);
	cts_record_derived_id(rid, name);
	set = json_pack("{s:s, s:s, s:s, s:s}", "node", node, "territory_code", territory, "role",
	                "territory", "key", canon);
	rc = cts_record_put(n->store, "registry", rid, set);
	json_decref(set);
	if (rc == 0) {
		/* The territory itself, once. */
		snprintf(name, sizeof(name), "territory:%s", territory);
		cts_record_derived_id(rid, name);
		if ((rc = cts_store_stmt(n->store, &s, "SELECT 1 FROM territory WHERE id = ?")) ==
		    0) {
			sqlite3_bind_text(s, 1, rid, -1, SQLITE_STATIC);
			int exists = sqlite3_step(s) == SQLITE_ROW;
			sqlite3_reset(s);
			if (!exists) {
				set = json_pack("{s:s, s:s}", "code", territory, "name", territory);
				rc = cts_record_put(n->store, "territory", rid, set);
				json_decref(set);
			}
		}
	}
	free(canon);
	if (rc == 0)
		return cts_store_commit(n->store);
	cts_store_rollback(n->store);
	return rc;
}

int cts_region_revoke(cts_node *n, const char *node, int64_t after_seq)
{
	cts_registry_entry cur;
	char rid[37], name[128];
	json_t *set;
	int rc;

	if ((rc = require_authority(n)) < 0)
		return rc;
	if (after_seq < 0)
		return cts_error_set(CTS_EINVAL, "--after-seq attend un numéro positif ou nul");
	if ((rc = cts_registry_get(n, node, &cur)) == CTS_ENOTFOUND)
		return cts_error_set(CTS_ENOTFOUND, "le nœud %.64s n'est pas inscrit", node);
	if (rc < 0)
		return rc;
	if (strcmp(cur.role, "authority") == 0) {
		cts_registry_entry_dispose(&cur);
		return cts_error_set(CTS_EINVAL, "l'autorité ne se révoque pas elle-même");
	}
	if (cur.revoked_after >= 0 && after_seq >= cur.revoked_after) {
		int64_t was = cur.revoked_after;
		cts_registry_entry_dispose(&cur);
		return cts_error_set(CTS_EEXISTS,
		                     "le nœud %s est déjà révoqué après le changeset n°%lld", node,
		                     (long long)was);
	}
	cts_registry_entry_dispose(&cur);
	snprintf(name, sizeof(name), "registry:%s", node);
	cts_record_derived_id(rid, name);
	set = json_pack("{s:I}", "revoked_after", (json_int_t)after_seq);
	rc = cts_record_put(n->store, "registry", rid, set);
	json_decref(set);
	return rc;
}

/* One text line per registry row; lines that `line` leaves empty are skipped. */
static int registry_lines(cts_node *n, int by_role, const char *head,
                          void (*line)(cts_strbuf *b, const json_t *row), char **out)
{
	cts_strbuf b = { 0 };
	json_t *rows, *row;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = cts_registry_list(n, by_role, &rows)) < 0)
		return rc;
	cts_strbuf_add(&b, head);
	json_array_foreach(rows, i, row) line(&b, row);
	json_decref(rows);
	return cts_strbuf_take(&b, out, NULL);
}

static const char *col(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

static void signer_line(cts_strbuf *b, const json_t *row)
{
	if (col(row, "key"))
		cts_strbuf_addf(b, "%.450s namespaces=\"git,cts-changeset\" %.450s\n",
		                col(row, "node"), col(row, "key"));
}

int cts_region_allowed_signers(cts_node *n, char **out)
{
	/* No valid-before, revoked keys included: a revocation is a changeset
	 * number (registry.md), never a date. A date lets stock git refuse a
	 * valid changeset committed late (an offline queue) and accept a
	 * back-dated invalid one; by number, every later changeset of a revoked
	 * node is ignored by every node and is a notice of the audit. */
	return registry_lines(n, 0, "", signer_line, out);
}

static void registry_line(cts_strbuf *b, const json_t *row)
{
	json_t *rev = json_object_get(row, "revoked_after");
	const char *role = col(row, "role");

	cts_strbuf_addf(b, "| %.300s | %.200s | %s | ", col(row, "node"),
	                col(row, "territory_code") ? col(row, "territory_code") : "(null)",
	                role && strcmp(role, "authority") == 0 ? "autorité" : "territoire");
	if (json_is_integer(rev))
		cts_strbuf_addf(b, "après le n°%lld", (long long)json_integer_value(rev));
	else
		cts_strbuf_add(b, "—");
	cts_strbuf_addf(b, " | `%.200s` |\n", col(row, "key") ? col(row, "key") : "(null)");
}

int cts_region_registry_text(cts_node *n, char **out)
{
	return registry_lines(
	    n, 1,
	    "# Registre des nœuds\n\n"
	    "Ce fichier est une copie lisible du registre signé par l'autorité régionale.\n\n"
	    "| nœud | territoire | rôle | révocation | clé |\n|---|---|---|---|---|\n",
	    registry_line, out);
}

int cts_region_nodes(cts_node *n, json_t **out)
{
	return cts_store_rows_of(
	    n->store,
	    "SELECT r.node, r.territory_code AS territory, r.role, r.key, r.revoked_after,"
	    " coalesce((SELECT max(c.seq) FROM changeset c WHERE c.node = r.node), 0) AS last_seq,"
	    " (SELECT c.time FROM changeset c WHERE c.node = r.node ORDER BY c.seq DESC LIMIT 1) "
	    "AS last_time,"
	    " (SELECT count(*) FROM inbox i WHERE i.node = r.node) AS waiting"
	    " FROM registry r WHERE r.node IS NOT NULL"
	    " ORDER BY r.role = 'authority' DESC, r.territory_code, r.node",
	    NULL, out);
}

int cts_region_self_revocation(cts_node *n, int64_t *after, char *when, size_t when_size)
{
	uint64_t hlc;
	int rc;

	if (when_size)
		when[0] = '\0';
	if ((rc = cts_registry_revocation(n, n->id, after, &hlc)) == CTS_ENOTFOUND)
		return 0;
	if (rc == 0 && hlc && when_size) {
		time_t t = (time_t)((hlc >> 16) / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, when_size, "%Y-%m-%d %H:%M UTC", &tm);
	}
	return rc;
}

int cts_region_pending_nodes(cts_node *n, json_t **out)
{
	return cts_store_rows_of(
	    n->store,
	    "SELECT i.node, json_extract(CAST((SELECT j.body FROM inbox j WHERE j.node = i.node"
	    " ORDER BY j.seq LIMIT 1) AS TEXT), '$.territory') AS territory, max(i.seq) AS "
	    "last_seq,"
	    " count(*) AS waiting FROM inbox i WHERE i.node NOT IN (SELECT node FROM registry"
	    " WHERE node IS NOT NULL) AND i.node IS NOT ?1 GROUP BY i.node ORDER BY i.node",
	    n->id, out);
}

int cts_region_self_state(cts_node *n, const char **state, int64_t *revoked_after)
{
	int rc = cts_registry_revocation(n, n->id, revoked_after, NULL);

	*state = rc == CTS_ENOTFOUND   ? "not_enrolled"
	         : *revoked_after >= 0 ? "revoked"
	                               : "enrolled";
	return rc == CTS_ENOTFOUND ? 0 : rc;
}

int cts_region_last_seq(cts_node *n, const char *node, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT coalesce(max(seq), 0) FROM changeset WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(n->store, "lecture de l'historique");
}

int cts_region_replace(cts_node *n, const char *old, const char *new_node, const char *key_line,
                       int64_t *revoked_after)
{
	cts_registry_entry cur;
	char *territory = NULL;
	int64_t last;
	int rc, already = 0;

	*revoked_after = -1;
	if ((rc = require_authority(n)) < 0)
		return rc;
	if ((rc = cts_registry_get(n, old, &cur)) == CTS_ENOTFOUND)
		return cts_error_set(CTS_ENOTFOUND, "le nœud %.64s n'est pas inscrit", old);
	if (rc < 0)
		return rc;
	if (cur.revoked_after >= 0 || strcmp(cur.role, "authority") == 0) {
		rc = cur.revoked_after >= 0
		         ? cts_error_set(CTS_EEXISTS,
		                         "le nœud %s est déjà révoqué (après le n°%lld) : "
		                         "inscrivez le nouveau "
		                         "poste avec region enroll",
		                         old, (long long)cur.revoked_after)
		         : cts_error_set(CTS_EINVAL, "l'autorité ne se remplace pas ainsi");
		cts_registry_entry_dispose(&cur);
		return rc;
	}
	territory = cur.territory;
	cur.territory = NULL;
	cts_registry_entry_dispose(&cur);
	if ((rc = cts_region_last_seq(n, old, &last)) < 0)
		goto out;
	*revoked_after = last;
	if ((rc = cts_store_begin(n->store)) < 0)
		goto out;
	if ((rc = cts_region_enroll(n, new_node, territory, key_line, &already)) == 0 && already)
		rc = cts_error_set(CTS_EEXISTS,
		                   "le nœud %s est déjà inscrit : choisissez un nouvel identifiant",
		                   new_node);
	if (rc == 0)
		rc = cts_region_revoke(n, old, *revoked_after);
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
out:
	free(territory);
	return rc;
}
