#include "forkproof.h"

#include "changeset.h"
#include "error.h"
#include "jcs.h"
#include "record.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cts_fork_record_id(char rid[37], const char *node, int64_t seq)
{
	char name[96];

	snprintf(name, sizeof(name), "fork:%.64s:%lld", node, (long long)seq);
	cts_record_derived_id(rid, name);
}

static json_t *text_or_null(const char *s, size_t len)
{
	return s ? json_stringn(s, len) : json_null();
}

/* The set with the bodies of a (and b) carried or not. */
static json_t *evidence_set(const char *node, int64_t seq, const cts_fork_version *a,
                            const cts_fork_version *b, int with_a, int with_b)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s%, s:s%, s:o, s:o}", "node", node, "seq",
	                 (json_int_t)seq, "id_a", a->id, "id_b", b->id, "sig_a", a->sig, a->sig_len,
	                 "sig_b", b->sig, b->sig_len, "body_a",
	                 text_or_null(with_a ? a->body : NULL, a->body_len), "body_b",
	                 text_or_null(with_b ? b->body : NULL, b->body_len));
}

int cts_fork_evidence_build(json_t **out, const char *node, int64_t seq, const cts_fork_version *x,
                            const cts_fork_version *y)
{
	const cts_fork_version *a = strcmp(x->id, y->id) < 0 ? x : y, *b = a == x ? y : x;
	/* Both bodies, else the smaller one, else none. */
	int small_a = a->body_len <= b->body_len;
	const int tries[4][2] = {
		{ 1, 1 }, { small_a, !small_a }, { !small_a, small_a }, { 0, 0 }
	};

	*out = NULL;
	if (strcmp(x->id, y->id) == 0)
		return cts_error_set(CTS_EINVAL,
		                     "preuve de bifurcation : les deux versions sont identiques");
	for (int k = 0; k < 4; k++) {
		json_t *set =
		    evidence_set(node, seq, a, b, tries[k][0] && a->body, tries[k][1] && b->body);
		char *text = NULL;
		size_t len = 0;
		int rc;

		if (!set)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		if ((rc = cts_jcs_dump(&text, &len, set)) < 0) {
			json_decref(set);
			return rc;
		}
		free(text);
		if (len <= CTS_FORK_EVIDENCE_MAX || k == 3) {
			*out = set;
			return 0;
		}
		json_decref(set);
	}
	return 0; /* not reached */
}

void cts_fork_evidence_target(const json_t *op, const char **node, int64_t *seq)
{
	json_t *set = json_object_get(op, "set");

	*node = json_string_value(json_object_get(set, "node"));
	*seq = json_integer_value(json_object_get(set, "seq"));
}

/* One version: id and signature present, and its body, when carried, is
 * the signed changeset (node, seq) with that id. */
static int check_version(cts_fork_version *v, const json_t *set, const char *which,
                         const char *node, int64_t seq, const unsigned char *pk, char *why,
                         size_t whylen)
{
	char key[8];
	const json_t *id, *sig, *body;
	cts_changeset *cs = NULL;
	char got[65];

	snprintf(key, sizeof(key), "id_%s", which);
	id = json_object_get(set, key);
	snprintf(key, sizeof(key), "sig_%s", which);
	sig = json_object_get(set, key);
	snprintf(key, sizeof(key), "body_%s", which);
	body = json_object_get(set, key);
	memset(v, 0, sizeof(*v));
	if (!cts_valid_hex64(json_string_value(id)) || !json_string_value(sig)) {
		snprintf(why, whylen, "version %s : empreinte ou signature absente", which);
		return -1;
	}
	snprintf(v->id, sizeof(v->id), "%s", json_string_value(id));
	v->sig = json_string_value(sig);
	v->sig_len = json_string_length(sig);
	if (!json_is_string(body))
		return 0; /* not carried: only its id and signature are claimed */
	v->body = json_string_value(body);
	v->body_len = json_string_length(body);
	if (!pk)
		return 1;
	cts_changeset_hash(v->body, v->body_len, got);
	if (strcmp(got, v->id) != 0) {
		snprintf(why, whylen,
		         "version %s : le contenu recopié n'a pas l'empreinte annoncée", which);
		return -1;
	}
	if (cts_changeset_parse(&cs, v->body, v->body_len) < 0) {
		snprintf(why, whylen, "version %s : changeset invalide : %s", which,
		         cts_error_message());
		cts_error_clear();
		return -1;
	}
	if (strcmp(cs->node, node) != 0 || cs->seq != seq) {
		snprintf(why, whylen,
		         "version %s : c'est le changeset n°%lld de %s, pas le n°%lld de %s", which,
		         (long long)cs->seq, cs->node, (long long)seq, node);
		cts_changeset_free(cs);
		return -1;
	}
	cts_changeset_free(cs);
	if (cts_sshsig_verify(v->sig, v->sig_len, pk, CTS_SIG_NAMESPACE,
	                      (const unsigned char *)v->body, v->body_len, NULL) < 0) {
		snprintf(why, whylen, "version %s : signature invalide pour la clé de %s (%s)",
		         which, node, cts_error_message());
		cts_error_clear();
		return -1;
	}
	return 0;
}

int cts_fork_evidence_check(const json_t *op, const unsigned char *pk, cts_fork_version v[2],
                            char *why, size_t whylen)
{
	const json_t *set = json_object_get(op, "set");
	const char *node, *rid = json_string_value(json_object_get(op, "id")), *ida, *idb;
	int64_t seq;
	char expect[37];
	int ra, rb;

	memset(v, 0, 2 * sizeof(*v));
	if (strcmp(json_string_value(json_object_get(op, "op")), "put") != 0) {
		snprintf(why, whylen, "une preuve de bifurcation ne se supprime pas");
		return -1;
	}
	cts_fork_evidence_target(op, &node, &seq);
	if (!cts_valid_node_id(node) || seq < 1) {
		snprintf(why, whylen, "preuve de bifurcation sans nœud ni numéro valides");
		return -1;
	}
	cts_fork_record_id(expect, node, seq);
	if (!rid || strcmp(rid, expect) != 0) {
		snprintf(why, whylen,
		         "l'identifiant de la preuve ne correspond pas au changeset n°%lld de %s",
		         (long long)seq, node);
		return -1;
	}
	ida = json_string_value(json_object_get(set, "id_a"));
	idb = json_string_value(json_object_get(set, "id_b"));
	if (cts_valid_hex64(ida) && cts_valid_hex64(idb) && strcmp(ida, idb) >= 0) {
		snprintf(why, whylen,
		         strcmp(ida, idb) == 0
		             ? "les deux versions sont identiques : ce n'est pas une bifurcation"
		             : "versions dans le désordre (id_a doit précéder id_b)");
		return -1;
	}
	if ((ra = check_version(&v[0], set, "a", node, seq, pk, why, whylen)) < 0 ||
	    (rb = check_version(&v[1], set, "b", node, seq, pk, why, whylen)) < 0)
		return -1;
	return ra == 1 || rb == 1 ? 1 : 0;
}
