#include "audit_impl.h"

/* ---- the authority ---- */

/* Does nodes/<id>'s changeset n°1 enrol its own node as authority, signed
 * by the key it enrols? Then *key gets that key line. */
static int contains(const unsigned char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (s[i] == (unsigned char)word[0] && memcmp(s + i, word, w) == 0)
			return 1;
	return 0;
}

static int authority_candidate(audit *a, branch *b, char key[128], unsigned char pk[32],
                               char terr[65])
{
	char path[160], spath[168];
	unsigned char *json = NULL, *sig = NULL;
	size_t jl = 0, sl = 0;
	cts_changeset *cs = NULL;
	int found = 0;
	size_t i;
	json_t *op;

	audit_changeset_path(path, sizeof(path), b->node, 1, 0);
	audit_changeset_path(spath, sizeof(spath), b->node, 1, 1);
	/* A candidate's (canonical) changeset spells the role "authority" as
	 * such: the others need no parse. */
	if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &json, &jl) <
	        0 ||
	    !contains(json, jl, "\"authority\"") ||
	    cts_gitrepo_read_file(a->repo, &b->tip, spath, CTS_SIG_MAX_BYTES, &sig, &sl) < 0 ||
	    cts_changeset_parse(&cs, (const char *)json, jl) < 0 ||
	    strcmp(cs->node, b->node) != 0 || cs->seq != 1)
		goto out;
	json_array_foreach(cs->ops, i, op)
	{
		json_t *set = json_object_get(op, "set");
		const char *k = json_string_value(json_object_get(set, "key"));
		char expect[37], name[96];
		if (strcmp(json_string_value(json_object_get(op, "table")), "registry") != 0 ||
		    strcmp(json_string_value(json_object_get(op, "op")), "put") != 0 ||
		    !json_string_value(json_object_get(set, "node")) ||
		    strcmp(json_string_value(json_object_get(set, "node")), b->node) != 0 ||
		    !json_string_value(json_object_get(set, "role")) ||
		    strcmp(json_string_value(json_object_get(set, "role")), "authority") != 0 || !k)
			continue;
		snprintf(name, sizeof(name), "registry:%s", b->node);
		cts_record_derived_id(expect, name);
		if (strcmp(expect, json_string_value(json_object_get(op, "id"))) != 0 ||
		    strlen(k) >= 128 || cts_key_parse_public_line(pk, k) < 0)
			continue;
		if (cts_sshsig_verify((const char *)sig, sl, pk, CTS_SIG_NAMESPACE, json, jl,
		                      NULL) == 0) {
			snprintf(key, 128, "%s", k);
			snprintf(terr, 65, "%s", cs->territory);
			found = 1;
			break;
		}
	}
out:
	cts_error_clear();
	cts_changeset_free(cs);
	free(json);
	free(sig);
	return found;
}

/* Is the region branch's tip commit signed by pk? */
static int region_signed_by(audit *a, const unsigned char pk[32])
{
	branch *r = audit_find_branch(a, "region");
	char *raw = NULL, *payload = NULL, *sig = NULL;
	size_t len, plen, slen;
	unsigned char signer[32];
	int nsig = 0, yes = 0;

	if (!r || cts_gitrepo_commit_raw(a->repo, &r->tip, &raw, &len) < 0 ||
	    len > COMMIT_MAX_BYTES ||
	    cts_commit_split(raw, len, &payload, &plen, &sig, &slen, &nsig) < 0)
		goto out;
	yes = nsig == 1 && cts_sshsig_verify(sig, slen, pk, "git", (const unsigned char *)payload,
	                                     plen, signer) == 0;
out:
	cts_error_clear();
	free(raw);
	free(payload);
	free(sig);
	return yes;
}

int audit_find_authority(audit *a)
{
	unsigned char pinned[32];
	int have_pin = 0, n = 0, chosen = -1, chosen_by_region = 0;
	json_t *names = json_array();
	char key[128], terr[65];
	unsigned char pk[32];

	if (!names)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (a->opt->authority_key) {
		if (cts_key_parse_public_line(pinned, a->opt->authority_key) < 0) {
			json_decref(names);
			return cts_error_prefix(CTS_EINVAL, "--authority-key : ");
		}
		have_pin = 1;
	}
	for (size_t i = 0; i < a->nbr; i++) {
		branch *b = &a->br[i];
		if (b->kind != BR_NODE || !authority_candidate(a, b, key, pk, terr))
			continue;
		if (have_pin && memcmp(pk, pinned, 32) != 0) {
			audit_finding(
			    a, "authority_key_mismatch", b->node, 1, &b->tip, NULL, b->name,
			    "%s s'inscrit comme autorité avec une autre clé que la clé de "
			    "l'autorité indiquée",
			    b->node);
			continue;
		}
		n++;
		json_array_append_new(names, json_string(b->node));
		if (chosen < 0 || (!chosen_by_region && region_signed_by(a, pk))) {
			chosen_by_region = region_signed_by(a, pk);
			chosen = (int)i;
			snprintf(a->authority, sizeof(a->authority), "%s", b->node);
			snprintf(a->authority_key, sizeof(a->authority_key), "%s", key);
			memcpy(a->authority_pk, pk, 32);
			snprintf(a->region, sizeof(a->region), "%s", terr);
		}
	}
	if (n == 0) {
		audit_finding(
		    a, "no_authority", NULL, 0, NULL, NULL, NULL,
		    "aucune branche nodes/… ne commence par l'inscription signée de l'autorité "
		    "(registre, rôle authority) : "
		    "rien ne peut être vérifié");
	} else if (n > 1) {
		char list[600] = "";
		size_t i;
		json_t *v;
		json_array_foreach(names, i, v)
		    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		             i ? ", " : "", json_string_value(v));
		audit_finding(a, "several_authorities", a->authority, 1, NULL, NULL, NULL,
		              "plusieurs nœuds se déclarent autorité (%s) ; retenue : %s%s", list,
		              a->authority,
		              chosen_by_region ? " (signataire de la branche region)"
		                               : " (choix arbitraire)");
	}
	json_decref(names);
	return 0;
}

/* ---- allowed_signers ---- */

/* Parse the options field of an allowed_signers line. */
static int parse_signer_options(const char *opts, char *ns, size_t nslen, char *vb, size_t vblen,
                                char *bad, size_t badlen)
{
	const char *p = opts;

	ns[0] = vb[0] = bad[0] = '\0';
	while (*p) {
		const char *name = p, *val = NULL;
		size_t nl, vl = 0;
		while (*p && *p != '=' && *p != ',')
			p++;
		nl = (size_t)(p - name);
		if (*p == '=') {
			p++;
			if (*p == '"') {
				val = ++p;
				while (*p && *p != '"')
					p++;
				if (*p != '"')
					return -1;
				vl = (size_t)(p - val);
				p++;
			} else {
				val = p;
				while (*p && *p != ',')
					p++;
				vl = (size_t)(p - val);
			}
		}
		if (nl == 10 && strncasecmp(name, "namespaces", 10) == 0 && val)
			snprintf(ns, nslen, "%.*s", (int)vl, val);
		else if (nl == 12 && strncasecmp(name, "valid-before", 12) == 0 && val)
			snprintf(vb, vblen, "%.*s", (int)vl, val);
		else if (!bad[0])
			snprintf(bad, badlen, "%.*s", (int)(nl < 64 ? nl : 64), name);
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

/* The options of principal's line: the namespaces, nothing unexpected,
 * no valid-before. */
static void check_signer_options(audit *a, branch *r, const char *principal, int lineno,
                                 const char *opts)
{
	char ns[128], vb[64], bad[80];

	if (!opts ||
	    parse_signer_options(opts, ns, sizeof(ns), vb, sizeof(vb), bad, sizeof(bad)) < 0) {
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers, ligne %d : options absentes ou illisibles "
		              "(namespaces=\"git,cts-changeset\" attendu)",
		              lineno);
		return;
	}
	if (bad[0])
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers, ligne %d : option inattendue « %s »", lineno, bad);
	if (strcmp(ns, "git,cts-changeset") != 0)
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers, ligne %d : namespaces=\"%s\" au lieu de "
		              "\"git,cts-changeset\"",
		              lineno, ns);
	/* A revocation is a number (registry.md), never a date: see
	 * cts_region_allowed_signers. */
	if (vb[0])
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers : la ligne de %s a valid-before=\"%s\" ; une "
		              "révocation se lit par numéro (registry.md), sans date",
		              principal, vb);
}

/* One line of allowed_signers (ll bytes, not NUL-terminated); the
 * principals met so far in seen. */
static void check_signer_line(audit *a, branch *r, const char *line, size_t ll, int lineno,
                              json_t *seen)
{
	char buf[4096], *principal, *opts = NULL, *type, *b64, *save = NULL, keyline[4200];
	unsigned char pk[32], want[32];
	json_t *e;

	if (ll >= sizeof(buf)) {
		audit_finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
		              "region", "allowed_signers, ligne %d : trop longue", lineno);
		return;
	}
	memcpy(buf, line, ll);
	buf[ll] = '\0';
	principal = strtok_r(buf, " \t", &save);
	if (!principal || principal[0] == '#')
		return;
	type = strtok_r(NULL, " \t", &save);
	if (type && strncmp(type, "ssh-", 4) != 0 && strncmp(type, "ecdsa-", 6) != 0 &&
	    strncmp(type, "sk-", 3) != 0) {
		opts = type;
		type = strtok_r(NULL, " \t", &save);
	}
	b64 = strtok_r(NULL, " \t", &save);
	if (!type || !b64) {
		audit_finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
		              "region", "allowed_signers, ligne %d : ligne incomplète", lineno);
		return;
	}
	if (json_object_get(seen, principal)) {
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers, ligne %d : %s figure plusieurs fois", lineno,
		              principal);
		return;
	}
	json_object_set_new(seen, principal, json_true());
	e = audit_reg_get(a, principal);
	if (!e) {
		audit_finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
		              "allowed_signers", "region",
		              "allowed_signers, ligne %d : %s n'est pas inscrit dans le registre "
		              "signé par l'autorité",
		              lineno, principal);
		return;
	}
	snprintf(keyline, sizeof(keyline), "%s %s", type, b64);
	if (cts_key_parse_public_line(pk, keyline) < 0 || audit_reg_pk(e, want) < 0 ||
	    memcmp(pk, want, 32) != 0) {
		cts_error_clear();
		audit_finding(
		    a, "allowed_signers_mismatch", principal, 0, &r->tip, "allowed_signers",
		    "region",
		    "allowed_signers, ligne %d : la clé de %s n'est pas celle du registre", lineno,
		    principal);
		return;
	}
	check_signer_options(a, r, principal, lineno, opts);
}

void audit_check_allowed_signers(audit *a)
{
	branch *r = audit_find_branch(a, "region");
	unsigned char *data = NULL;
	size_t len = 0, pos = 0;
	json_t *seen = json_object();
	const char *node;
	json_t *e;
	int rc, lineno = 0;

	if (!seen) {
		a->oom = 1;
		return;
	}
	if (!r) {
		audit_finding(
		    a, "missing_region_branch", a->authority[0] ? a->authority : NULL, 0, NULL,
		    NULL, "region",
		    "pas de branche region : allowed_signers absent, les outils standard ne "
		    "peuvent rien vérifier");
		goto out;
	}
	rc = cts_gitrepo_read_file(a->repo, &r->tip, "allowed_signers", CTS_AUDIT_MAX_SIGNERS_BYTES,
	                           &data, &len);
	if (rc < 0) {
		audit_finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
		              "region", "allowed_signers illisible sur la branche region : %s",
		              cts_error_message());
		cts_error_clear();
		goto out;
	}
	while (pos < len) {
		const char *line = (const char *)data + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;

		pos += ll + (nl ? 1 : 0);
		check_signer_line(a, r, line, ll, ++lineno, seen);
	}
	json_object_foreach(a->registry, node, e)
	{
		if (!json_object_get(seen, node))
			audit_finding(
			    a, "allowed_signers_mismatch", node, 0, &r->tip, "allowed_signers",
			    "region",
			    "allowed_signers : %s est inscrit dans le registre mais absent du "
			    "fichier",
			    node);
	}
out:
	json_decref(seen);
	free(data);
}
