#include "registry.h"

#include "error.h"
#include "key.h"
#include "record.h"
#include "rules.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cts_registry_entry_dispose(cts_registry_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->territory);
	free(e->role);
	memset(e, 0, sizeof(*e));
}

int cts_registry_get(cts_node *n, const char *node, cts_registry_entry *out)
{
	sqlite3_stmt *s;
	int rc, rows = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT key, territory_code, role, revoked_after FROM registry WHERE node = ?")) <
	    0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows++ == 0) {
			const char *k = (const char *)sqlite3_column_text(s, 0),
			           *t = (const char *)sqlite3_column_text(s, 1),
			           *r = (const char *)sqlite3_column_text(s, 2);
			out->key = k ? strdup(k) : NULL;
			out->territory = t ? strdup(t) : NULL;
			out->role = r ? strdup(r) : NULL;
			out->revoked_after = sqlite3_column_type(s, 3) == SQLITE_NULL
			                         ? -1
			                         : sqlite3_column_int64(s, 3);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cts_registry_entry_dispose(out);
		return cts_store_error(n->store, "lecture du registre");
	}
	if (rows == 0 || !out->key || !out->territory || !out->role) {
		cts_registry_entry_dispose(out);
		return CTS_ENOTFOUND;
	}
	if (rows > 1) {
		cts_registry_entry_dispose(out);
		return cts_error_set(CTS_EINVAL, "le registre inscrit le nœud %s plusieurs fois",
		                     node);
	}
	return 0;
}

/* The text column of the first row of sql with ?1 bound to arg (may be
 * NULL): *out malloc'd, CTS_ENOTFOUND (no message) when there is none. */
static int first_text(cts_node *n, const char *sql, const char *arg, char **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s, sql)) < 0)
		return rc;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		*out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture du registre");
	if (rc == SQLITE_DONE)
		return CTS_ENOTFOUND;
	return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

int cts_registry_key_owner(cts_node *n, const char *key, char **node)
{
	return first_text(n, "SELECT node FROM registry WHERE key = ?1", key, node);
}

int cts_registry_authority(cts_node *n, char **node)
{
	return first_text(n, "SELECT node FROM registry WHERE role = 'authority' LIMIT 1", NULL,
	                  node);
}

int cts_registry_node_of_pk(cts_node *n, const unsigned char pk[32], char **node)
{
	sqlite3_stmt *s;
	int rc;

	*node = NULL;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT node, key FROM registry")) < 0)
		return rc;
	while (!*node && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		unsigned char k[32];
		const char *key = (const char *)sqlite3_column_text(s, 1),
		           *id = (const char *)sqlite3_column_text(s, 0);
		if (id && key && cts_key_parse_public_line(k, key) == 0 && memcmp(k, pk, 32) == 0 &&
		    !(*node = strdup(id)))
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	sqlite3_reset(s);
	if (*node)
		return 0;
	cts_error_clear(); /* unreadable key lines match nothing */
	return rc == SQLITE_DONE || rc == SQLITE_ROW
	           ? CTS_ENOTFOUND
	           : cts_store_error(n->store, "lecture du registre");
}

int cts_registry_list(cts_node *n, int by_role, json_t **out)
{
	return cts_store_rows_of(
	    n->store,
	    by_role ? "SELECT node, territory_code, role, revoked_after, key FROM registry"
	              " WHERE node IS NOT NULL ORDER BY role, territory_code, node"
	            : "SELECT node, territory_code, role, revoked_after, key FROM registry"
	              " WHERE node IS NOT NULL ORDER BY node",
	    NULL, out);
}

int cts_registry_revocation(cts_node *n, const char *node, int64_t *after, uint64_t *hlc)
{
	sqlite3_stmt *s;
	char territory[128] = "", rid[128] = "";
	int rc;

	*after = -1;
	if (hlc)
		*hlc = 0;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT revoked_after, territory, id FROM registry WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*after = sqlite3_column_int64(s, 0);
		snprintf(territory, sizeof(territory), "%s",
		         (const char *)sqlite3_column_text(s, 1));
		snprintf(rid, sizeof(rid), "%s", (const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture du registre");
	if (rc == SQLITE_DONE)
		return CTS_ENOTFOUND;
	if (!hlc || *after < 0)
		return 0;
	rc = cts_record_field_hlc(n->store, "registry", territory, rid, "revoked_after", hlc);
	return rc == CTS_ENOTFOUND ? 0 : rc;
}

int cts_registry_check_entry(const char *node, const char *rid, json_t *set, char *why,
                             size_t whylen)
{
	cts_rule_violation rv;
	char expect[37], buf[128];

	snprintf(buf, sizeof(buf), "registry:%.64s", node);
	cts_record_derived_id(expect, buf);
	if (!cts_valid_node_id(node) || !rid || strcmp(expect, rid) != 0) {
		snprintf(
		    why, whylen,
		    "registre : l'identifiant de l'inscription ne correspond pas au nœud %.64s",
		    node);
		return -1;
	}
	if (cts_rules_check_set("registry", set, &rv) < 0) {
		cts_error_clear();
		snprintf(why, whylen, "registre, inscription de %.64s : %s", node, rv.message);
		return -1;
	}
	return 0;
}
