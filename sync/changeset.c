#include "changeset.h"

#include "error.h"
#include "hlc.h"
#include "jcs.h"
#include "record.h"
#include "tables.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cts_changeset_hash(const char *bytes, size_t len, char id[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)bytes, len);
	sodium_bin2hex(id, 65, h, sizeof(h));
}

void cts_changeset_free(cts_changeset *cs)
{
	if (!cs)
		return;
	free(cs->bytes);
	json_decref(cs->root);
	free(cs);
}

void cts_changeset_path(char *buf, size_t size, const char *node, int64_t seq)
{
	snprintf(buf, size, "changesets/%s/%012lld.json", node, (long long)seq);
}

int cts_changeset_parse_name(const char *name, int64_t *seq)
{
	int64_t v = 0;

	if (strlen(name) != 17 || strcmp(name + 12, ".json") != 0)
		return cts_error_set(
		    CTS_EINVAL,
		    "nom de changeset invalide « %.80s » (12 chiffres puis .json attendus)", name);
	for (int i = 0; i < 12; i++) {
		if (name[i] < '0' || name[i] > '9')
			return cts_error_set(CTS_EINVAL, "nom de changeset invalide « %.80s »",
			                     name);
		v = v * 10 + (name[i] - '0');
	}
	if (v < 1)
		return cts_error_set(CTS_EINVAL,
		                     "nom de changeset invalide « %.80s » : le numéro commence à 1",
		                     name);
	*seq = v;
	return 0;
}

/* The string value of v when it is a string without embedded NUL (which
 * would let "abc\u0000anything" pass the C-string checks), else NULL. */
static const char *text_of(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* RFC 3339 UTC with Z: YYYY-MM-DDTHH:MM:SS[.fraction]Z */
static int valid_time(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 20 || n > 40 || s[n - 1] != 'Z' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return 0;
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!cts_valid_date(date))
		return 0;
	for (size_t i = 11; i < 19; i++)
		if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return 0;
	if (n > 20) {
		if (s[19] != '.' || n == 21)
			return 0;
		for (size_t i = 20; i < n - 1; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	return 1;
}

static int validate_op(cts_changeset *cs, size_t i, json_t *op)
{
	const char *key, *kind, *table, *rid, *hlc_s;
	const cts_table_def *t;
	json_t *v;
	uint64_t hlc;
	int rc;
	size_t expected;

	if (!json_is_object(op))
		return cts_error_set(CTS_EINVAL, "opération %zu : objet attendu", i + 1);
	kind = text_of(json_object_get(op, "op"));
	if (!kind || (strcmp(kind, "put") != 0 && strcmp(kind, "del") != 0))
		return cts_error_set(CTS_EINVAL, "opération %zu : « op » doit valoir put ou del",
		                     i + 1);
	expected = strcmp(kind, "put") == 0 ? 5 : 4;
	json_object_foreach(op, key, v)
	{
		if (strcmp(key, "hlc") != 0 && strcmp(key, "op") != 0 &&
		    strcmp(key, "table") != 0 && strcmp(key, "id") != 0 &&
		    !(expected == 5 && strcmp(key, "set") == 0))
			return cts_error_set(
			    CTS_EINVAL, "opération %zu : membre inattendu « %.40s »", i + 1, key);
	}
	if (json_object_size(op) != expected)
		return cts_error_set(CTS_EINVAL,
		                     "opération %zu : membres manquants (hlc, op, table, id%s)",
		                     i + 1, expected == 5 ? ", set" : "");
	hlc_s = text_of(json_object_get(op, "hlc"));
	if ((rc = cts_hlc_parse(&hlc, hlc_s)) < 0)
		return cts_error_prefix(rc, "opération %zu : ", i + 1);
	table = text_of(json_object_get(op, "table"));
	if (!table || !(t = cts_table_find(table)))
		return cts_error_set(CTS_EINVAL, "opération %zu : table inconnue « %.40s »", i + 1,
		                     table ? table : "");
	rid = text_of(json_object_get(op, "id"));
	if (!cts_valid_uuid(rid))
		return cts_error_set(
		    CTS_EINVAL, "opération %zu : identifiant d'enregistrement invalide", i + 1);
	if (expected == 5) {
		json_t *set = json_object_get(op, "set");
		if (!json_is_object(set) || json_object_size(set) == 0)
			return cts_error_set(CTS_EINVAL,
			                     "opération %zu : « set » doit être un objet non vide",
			                     i + 1);
		if ((rc = cts_record_check_set(t, set)) < 0)
			return cts_error_prefix(rc, "opération %zu : ", i + 1);
	}
	if (i == 0 || hlc < cs->hlc_min)
		cs->hlc_min = hlc;
	if (hlc > cs->hlc_max)
		cs->hlc_max = hlc;
	return 0;
}

static int validate(cts_changeset *cs)
{
	static const char *const members[] = { "v",    "node", "territory", "seq", "prev",
		                               "time", "seen", "ops",       NULL };
	json_t *r = cs->root, *v, *prev;
	const char *key;
	size_t i;
	int rc;

	if (!json_is_object(r))
		return cts_error_set(CTS_EINVAL, "un changeset est un objet JSON");
	json_object_foreach(r, key, v)
	{
		if (cts_code_index(members, key) < 0)
			return cts_error_set(CTS_EINVAL,
			                     "membre inattendu « %.40s » dans l'enveloppe", key);
	}
	for (i = 0; members[i]; i++)
		if (!json_object_get(r, members[i]))
			return cts_error_set(CTS_EINVAL, "membre « %s » manquant dans l'enveloppe",
			                     members[i]);
	v = json_object_get(r, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return cts_error_set(CTS_EINVAL,
		                     "version de format non prise en charge (v = 1 attendu)");
	cs->node = text_of(json_object_get(r, "node"));
	if (!cts_valid_node_id(cs->node))
		return cts_error_set(CTS_EINVAL, "identifiant de nœud invalide dans l'enveloppe");
	cs->territory = text_of(json_object_get(r, "territory"));
	if (!cts_valid_territory(cs->territory))
		return cts_error_set(CTS_EINVAL, "code de territoire invalide dans l'enveloppe");
	v = json_object_get(r, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return cts_error_set(CTS_EINVAL, "« seq » doit être un entier positif");
	cs->seq = json_integer_value(v);
	prev = json_object_get(r, "prev");
	if (cs->seq == 1) {
		if (!json_is_null(prev))
			return cts_error_set(CTS_EINVAL,
			                     "« prev » doit être null pour le changeset n°1");
		cs->prev = NULL;
	} else {
		cs->prev = text_of(prev);
		if (!cts_valid_hex64(cs->prev))
			return cts_error_set(
			    CTS_EINVAL,
			    "« prev » doit être l'empreinte SHA-256 du changeset précédent");
	}
	cs->time = text_of(json_object_get(r, "time"));
	if (!valid_time(cs->time))
		return cts_error_set(CTS_EINVAL,
		                     "« time » doit être une date RFC 3339 en UTC (…Z)");
	cs->seen = json_object_get(r, "seen");
	if (!json_is_object(cs->seen))
		return cts_error_set(CTS_EINVAL, "« seen » doit être un objet");
	json_object_foreach(cs->seen, key, v)
	{
		if (!cts_valid_node_id(key) || strcmp(key, cs->node) == 0)
			return cts_error_set(CTS_EINVAL, "« seen » : nœud invalide « %.64s »", key);
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return cts_error_set(CTS_EINVAL, "« seen » : numéro invalide pour %s", key);
	}
	cs->ops = json_object_get(r, "ops");
	if (!json_is_array(cs->ops) || json_array_size(cs->ops) == 0)
		return cts_error_set(CTS_EINVAL, "« ops » doit être un tableau non vide");
	if (json_array_size(cs->ops) > CTS_CHANGESET_MAX_OPS)
		return cts_error_set(CTS_ELIMIT, "trop d'opérations (%zu, maximum %d)",
		                     json_array_size(cs->ops), CTS_CHANGESET_MAX_OPS);
	json_array_foreach(cs->ops, i, v)
	{
		if ((rc = validate_op(cs, i, v)) < 0)
			return rc;
	}
	return 0;
}

int cts_changeset_parse(cts_changeset **out, const char *bytes, size_t len)
{
	cts_changeset *cs;
	int rc;

	*out = NULL;
	if (len > CTS_CHANGESET_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "changeset trop gros (%zu octets, maximum %u)",
		                     len, CTS_CHANGESET_MAX_BYTES);
	if (len < 2 || bytes[len - 1] != '\n')
		return cts_error_set(CTS_EINVAL,
		                     "un changeset se termine par un unique saut de ligne");
	if (!(cs = calloc(1, sizeof(*cs))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* One parse that also refuses non-canonical bytes (with the offset). */
	if ((rc = cts_jcs_parse_canonical(&cs->root, bytes, len - 1)) < 0)
		goto fail;
	if ((rc = validate(cs)) < 0)
		goto fail;
	if (!(cs->bytes = malloc(len))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto fail;
	}
	memcpy(cs->bytes, bytes, len);
	cs->len = len;
	cts_changeset_hash(bytes, len, cs->id);
	*out = cs;
	return 0;
fail:
	cts_changeset_free(cs);
	return rc;
}

int cts_changeset_build(cts_changeset **out, const char *node, const char *territory, int64_t seq,
                        const char *prev, const char *time, const json_t *seen, const json_t *ops)
{
	json_t *root;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	root = json_pack("{s:i, s:s, s:s, s:I, s:s?, s:s, s:O, s:O}", "v", 1, "node", node,
	                 "territory", territory, "seq", (json_int_t)seq, "prev", prev, "time", time,
	                 "seen", seen, "ops", ops);
	if (!root)
		return cts_error_set(CTS_ENOMEM, "construction du changeset impossible");
	if (!prev)
		json_object_set_new(root, "prev", json_null());
	rc = cts_jcs_dump(&buf, &len, root);
	json_decref(root);
	if (rc < 0)
		return rc;
	{
		char *file = realloc(buf, len + 1);
		if (!file) {
			free(buf);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
		file[len] = '\n';
		rc = cts_changeset_parse(out, file, len + 1);
		free(file);
	}
	return rc;
}
