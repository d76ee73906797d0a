#include "scope.h"

#include "error.h"
#include "record.h"
#include "registry.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

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

/* digests[code] = its territory digest. */
static int add_digest(cts_node *n, json_t *digests, const char *code, const char *region)
{
	char hex[65];
	int rc;

	if (json_object_get(digests, code) || (region && strcmp(code, region) == 0))
		return 0;
	if ((rc = cts_record_digest_territory(n->store, code, region, hex)) < 0)
		return rc;
	return json_object_set_new(digests, code, json_string(hex)) == 0
	           ? 0
	           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
}

/* Every territory the records or the registry name (regional node). */
static int add_all(cts_node *n, json_t *digests, const char *region)
{
	json_t *codes = NULL, *reg = NULL, *v;
	size_t i;
	int rc;

	if ((rc = cts_record_territories(n->store, region, &codes)) < 0 ||
	    (rc = cts_registry_list(n, 0, &reg)) < 0)
		goto out;
	json_array_foreach(codes, i, v)
	{
		if ((rc = add_digest(n, digests, json_string_value(v), region)) < 0)
			goto out;
	}
	json_array_foreach(reg, i, v)
	{
		const char *code = json_string_value(json_object_get(v, "territory_code"));
		if (code && (rc = add_digest(n, digests, code, region)) < 0)
			goto out;
	}
out:
	json_decref(codes);
	json_decref(reg);
	return rc;
}

int cts_scope_digests(cts_node *n, json_t **out)
{
	json_t *d = json_object();
	char *region = NULL;
	int rc;

	*out = NULL;
	if (!d)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
	if ((rc = cts_scope_region_code(n, &region)) < 0 && rc != CTS_ENOTFOUND)
		goto out;
	cts_error_clear();
	rc =
	    cts_scope_reads_all(n) ? add_all(n, d, region) : add_digest(n, d, n->territory, region);
out:
	free(region);
	if (rc < 0) {
		json_decref(d);
		return rc;
	}
	*out = d;
	return 0;
}
