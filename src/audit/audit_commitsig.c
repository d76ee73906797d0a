#include "audit_impl.h"

/* ---- commit signatures ---- */

/* The enrolled node whose key is pk, or NULL. Borrowed. */
const char *audit_node_of_key(audit *a, const unsigned char pk[32])
{
	const char *node;
	json_t *e;

	json_object_foreach(a->registry, node, e)
	{
		unsigned char k[32];
		if (cts_key_parse_public_line(k, json_string_value(json_object_get(e, "key"))) ==
		        0 &&
		    memcmp(k, pk, 32) == 0)
			return node;
	}
	cts_error_clear();
	return NULL;
}

void audit_check_commit_signature(audit *a, branch *b, const cts_gitoid *commit, const char *owner,
                                  const unsigned char owner_pk[32])
{
	size_t size = 0, plen, slen;
	char *raw = NULL, *payload = NULL, *sig = NULL;
	unsigned char signer[32];
	int nsig, rc;

	if (cts_gitrepo_object_size(a->repo, commit, &size, NULL) < 0) {
		cts_error_clear();
		audit_finding(a, "unreadable_history", owner, 0, commit, NULL, b->name,
		              "commit illisible");
		return;
	}
	if (size > COMMIT_MAX_BYTES) {
		audit_finding(a, "too_large", owner, 0, commit, NULL, b->name,
		              "commit de %zu octets (maximum %u)", size, COMMIT_MAX_BYTES);
		return;
	}
	if ((rc = cts_gitrepo_commit_raw(a->repo, commit, &raw, &size)) < 0 ||
	    (rc = cts_commit_split(raw, size, &payload, &plen, &sig, &slen, &nsig)) < 0) {
		if (rc == CTS_ENOMEM)
			a->oom = 1;
		else
			audit_finding(a, "unreadable_history", owner, 0, commit, NULL, b->name,
			              "commit illisible : %s", cts_error_message());
		cts_error_clear();
		goto cleanup;
	}
	if (nsig == 0) {
		audit_finding(a, "unsigned_commit", owner, 0, commit, NULL, b->name,
		              "commit non signé sur la branche %s (signature SSH de %s attendue)",
		              b->name, owner);
		goto cleanup;
	}
	if (nsig > 1) {
		audit_finding(a, "bad_commit_signature", owner, 0, commit, NULL, b->name,
		              "le commit porte %d en-têtes gpgsig (un seul attendu)", nsig);
		goto cleanup;
	}
	if (cts_sshsig_verify(sig, slen, NULL, "git", (const unsigned char *)payload, plen,
	                      signer) < 0) {
		audit_finding(a, "bad_commit_signature", owner, 0, commit, NULL, b->name,
		              "signature du commit invalide : %s", cts_error_message());
		cts_error_clear();
		goto cleanup;
	}
	if (memcmp(signer, owner_pk, 32) != 0) {
		const char *who = audit_node_of_key(a, signer);
		if (who)
			audit_finding(
			    a, "wrong_commit_signer", owner, 0, commit, NULL, b->name,
			    "commit de la branche %s signé par la clé du nœud %s et non par %s "
			    "(git verify-commit dirait "
			    "« Good signature » : il cherche le signataire d'après la clé, pas "
			    "d'après la branche)",
			    b->name, who, owner);
		else
			audit_finding(a, "wrong_commit_signer", owner, 0, commit, NULL, b->name,
			              "commit de la branche %s signé par une clé que le registre "
			              "n'inscrit pas, et non par %s",
			              b->name, owner);
	}
cleanup:
	free(raw);
	free(payload);
	free(sig);
}
