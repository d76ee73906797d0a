#include "audit_impl.h"

/* ---- registry replay (the authority's chain) ---- */

json_t *audit_reg_get(audit *a, const char *node)
{
	return node ? json_object_get(a->registry, node) : NULL;
}

int audit_reg_pk(json_t *e, unsigned char pk[32])
{
	int rc = cts_key_parse_public_line(pk, json_string_value(json_object_get(e, "key")));

	if (rc < 0)
		cts_error_clear();
	return rc;
}

int64_t audit_reg_revoked(json_t *e)
{
	json_t *v = json_object_get(e, "revoked_after");

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* ---- the registry view of the acceptance rules (accept.h), backed by the replay ---- */

static int view_entry(void *ctx, const char *node, cts_accept_entry *out)
{
	json_t *e = audit_reg_get(ctx, node);
	const char *key, *terr, *role;

	if (!e)
		return 0;
	key = json_string_value(json_object_get(e, "key"));
	terr = json_string_value(json_object_get(e, "territory"));
	role = json_string_value(json_object_get(e, "role"));
	snprintf(out->key, sizeof(out->key), "%s", key ? key : "");
	snprintf(out->territory, sizeof(out->territory), "%s", terr ? terr : "");
	snprintf(out->role, sizeof(out->role), "%s", role ? role : "");
	return 1;
}

static int view_node_of(void *ctx, const char *rid, char node[65])
{
	audit *a = ctx;
	const char *v = json_string_value(json_object_get(a->reg_by_rid, rid));

	if (!v)
		return 0;
	snprintf(node, 65, "%.64s", v);
	return 1;
}

void audit_reg_view(audit *a, const char *node, cts_accept_view *view)
{
	json_t *e = audit_reg_get(a, node);

	view->entry = view_entry;
	view->node_of = view_node_of;
	view->ctx = a;
	view->territory = e ? json_string_value(json_object_get(e, "territory")) : NULL;
	view->role = e ? json_string_value(json_object_get(e, "role")) : NULL;
	view->revoked_after = e ? audit_reg_revoked(e) : -1;
}

/* Set e[field] = v (stolen) when hlc is not older than the field's last write. */
static void lww_set(json_t *e, const char *field, json_t *v, uint64_t hlc)
{
	char hk[64];
	json_t *h;

	snprintf(hk, sizeof(hk), "_hlc_%s", field);
	h = json_object_get(e, hk);
	if (h && (uint64_t)json_integer_value(h) > hlc) {
		json_decref(v);
		return;
	}
	json_object_set_new(e, field, v);
	json_object_set_new(e, hk, json_integer((json_int_t)hlc));
}

void audit_apply_registry_put(audit *a, json_t *op, uint64_t hlc)
{
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set"), *e, *v;
	const char *node = json_string_value(json_object_get(set, "node")), *field;

	if (!node)
		node = json_string_value(json_object_get(a->reg_by_rid, rid));
	if (!node)
		return;
	if (!(e = audit_reg_get(a, node))) {
		e = json_object();
		if (!e || json_object_set_new(a->registry, node, e) < 0 ||
		    json_object_set_new(a->reg_by_rid, rid, json_string(node)) < 0) {
			a->oom = 1;
			return;
		}
	}
	json_object_foreach(set, field, v)
	{
		if (strcmp(field, "key") == 0)
			lww_set(e, "key", json_incref(v), hlc);
		else if (strcmp(field, "territory_code") == 0)
			lww_set(e, "territory", json_incref(v), hlc);
		else if (strcmp(field, "role") == 0)
			lww_set(e, "role", json_incref(v), hlc);
		else if (strcmp(field, "revoked_after") == 0)
			lww_set(e, "revoked_after", json_incref(v), hlc);
	}
}

void audit_apply_checkpoint(audit *a, json_t *op, uint64_t hlc, int64_t by_seq)
{
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *e = json_object_get(a->cp_state, rid), *set = json_object_get(op, "set"), *v;
	const char *field, *node, *cid;
	char key[200];

	if (strcmp(json_string_value(json_object_get(op, "op")), "del") == 0) {
		json_object_del(a->cp_state, rid);
		return;
	}
	if (!e) {
		e = json_object();
		if (!e || json_object_set_new(a->cp_state, rid, e) < 0) {
			a->oom = 1;
			return;
		}
	}
	json_object_foreach(set, field, v) lww_set(e, field, json_incref(v), hlc);
	node = json_string_value(json_object_get(e, "node"));
	cid = json_string_value(json_object_get(e, "changeset"));
	v = json_object_get(e, "seq");
	if (!node || !cid || !json_is_integer(v))
		return;
	snprintf(key, sizeof(key), "%.64s/%lld/%.64s", node, (long long)json_integer_value(v), cid);
	if (json_object_get(a->cp_seen, key))
		return;
	json_object_set_new(a->cp_seen, key, json_true());
	if (json_array_append_new(a->checkpoints,
	                          json_pack("{s:s, s:I, s:s, s:I}", "node", node, "seq",
	                                    json_integer_value(v), "changeset", cid, "by_seq",
	                                    (json_int_t)by_seq)) < 0)
		a->oom = 1;
}
