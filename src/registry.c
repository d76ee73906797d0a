#include "registry.h"

#include "error.h"
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
	if ((rc = cts_store_stmt(n->store, &s, "SELECT key, territory_code, role, revoked_after FROM registry WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows++ == 0) {
			const char *k = (const char *)sqlite3_column_text(s, 0), *t = (const char *)sqlite3_column_text(s, 1),
				   *r = (const char *)sqlite3_column_text(s, 2);
			out->key = k ? strdup(k) : NULL;
			out->territory = t ? strdup(t) : NULL;
			out->role = r ? strdup(r) : NULL;
			out->revoked_after = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3);
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
		return cts_error_set(CTS_EINVAL, "le registre inscrit le nœud %s plusieurs fois", node);
	}
	return 0;
}

int cts_registry_check_entry(const char *node, const char *rid, json_t *set, char *why, size_t whylen)
{
	cts_rule_violation rv;
	char expect[37], buf[128];

	snprintf(buf, sizeof(buf), "registry:%.64s", node);
	cts_record_derived_id(expect, buf);
	if (!cts_valid_node_id(node) || !rid || strcmp(expect, rid) != 0) {
		snprintf(why, whylen, "registre : l'identifiant de l'inscription ne correspond pas au nœud %.64s", node);
		return -1;
	}
	if (cts_rules_check_set("registry", set, &rv) < 0) {
		cts_error_clear();
		snprintf(why, whylen, "registre, inscription de %.64s : %s", node, rv.message);
		return -1;
	}
	return 0;
}
