#include "accept.h"

#include "error.h"
#include "hlc.h"
#include "registry.h"
#include "rules.h"
#include "tables.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cts_accept_registry_op(const cts_accept_view *view, json_t *op, char *why, size_t whylen)
{
	const char *kind = json_string_value(json_object_get(op, "op"));
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set");
	const char *node = json_string_value(json_object_get(set, "node"));
	const char *key = json_string_value(json_object_get(set, "key"));
	const char *terr = json_string_value(json_object_get(set, "territory_code"));
	const char *role = json_string_value(json_object_get(set, "role"));
	char name[65];
	cts_accept_entry cur;
	int rc;

	if (strcmp(kind, "del") == 0) {
		snprintf(why, whylen, "une inscription ne se supprime pas : elle se révoque");
		return -1;
	}
	if (json_object_get(set, "node") && !node) {
		snprintf(why, whylen, "registre : « node » invalide");
		return -1;
	}
	if (!node) { /* an update (revocation): the record must exist */
		if ((rc = view->node_of(view->ctx, rid, name)) <= 0) {
			snprintf(why, whylen, "%s",
			         rc < 0 ? cts_error_message()
			                : "registre : mise à jour d'une inscription inconnue");
			return -1;
		}
		node = name;
	}
	if (cts_registry_check_entry(node, rid, set, why, whylen) < 0)
		return -1;
	if ((rc = view->entry(view->ctx, node, &cur)) < 0) {
		snprintf(why, whylen, "%s", cts_error_message());
		return -1;
	}
	if (rc == 1 &&
	    ((key && strcmp(key, cur.key) != 0) || (terr && strcmp(terr, cur.territory) != 0) ||
	     (role && strcmp(role, cur.role) != 0))) {
		snprintf(why, whylen,
		         "registre : la clé, le territoire et le rôle de %.64s ne changent pas "
		         "(inscrire un nouvel identifiant et révoquer l'ancien)",
		         node);
		return -1;
	}
	if (rc == 0 && (!key || !terr || !role)) {
		snprintf(why, whylen,
		         "registre : inscription de %.64s incomplète (clé, territoire, rôle)",
		         node);
		return -1;
	}
	return 0;
}

/* The operation rules: domain values, write rights of the signer's role,
 * registry operations of the authority. Every op is judged (the counts are
 * the audit's); *first_op and why: the first op breaking one (the
 * importer's reason). */
static void judge_ops(const cts_changeset *cs, const cts_accept_view *view, cts_accept_verdict *out,
                      size_t *first_op, unsigned *first_rule, char *why, size_t whylen)
{
	const char *role = view->role;
	int authority = role && strcmp(role, "authority") == 0;
	size_t i;
	json_t *op;

	*first_op = 0;
	json_array_foreach(cs->ops, i, op)
	{
		const cts_table_def *t =
		    cts_table_find(json_string_value(json_object_get(op, "table")));
		cts_rule_violation rv;
		char vwhy[400], rwhy[400];
		int bad_value = 0, bad_table = 0, bad_reg = 0;

		if (t && json_object_get(op, "set") &&
		    cts_rules_check_set(t->name, json_object_get(op, "set"), &rv) < 0) {
			cts_error_clear();
			cts_rules_describe(&rv, vwhy, sizeof(vwhy));
			bad_value = 1;
			if (out->bad_values++ == 0) {
				out->first_value = (int)i + 1;
				snprintf(out->value_why, sizeof(out->value_why), "%s", vwhy);
			}
		}
		if (role && t &&
		    t->writer != CTS_WRITER_ANY && /* evidence: checked by its callers */
		    ((authority && t->writer != CTS_WRITER_AUTHORITY) ||
		     (!authority && t->writer != CTS_WRITER_TERRITORY))) {
			bad_table = 1;
			if (out->bad_tables++ == 0)
				out->first_table = (int)i + 1;
		}
		if (authority && t && strcmp(t->name, "registry") == 0 && !out->first_registry &&
		    cts_accept_registry_op(view, op, rwhy, sizeof(rwhy)) < 0) {
			bad_reg = 1;
			out->first_registry = (int)i + 1;
			snprintf(out->registry_why, sizeof(out->registry_why), "%s", rwhy);
		}
		if (*first_op || !(bad_value || bad_table || bad_reg))
			continue;
		*first_op = i + 1;
		*first_rule = bad_value   ? CTS_RULE_VALUES
		              : bad_table ? CTS_RULE_TABLE
		                          : CTS_RULE_REGISTRY;
		if (bad_value)
			snprintf(why, whylen, "%s", vwhy);
		else if (bad_table && authority)
			snprintf(why, whylen, "l'autorité n'écrit pas la table %s des territoires",
			         t->name);
		else if (bad_table)
			snprintf(why, whylen,
			         "un nœud de territoire n'a pas le droit d'écrire la table %s "
			         "(réservée à la région)",
			         t->name);
		else
			snprintf(why, whylen, "%s", rwhy);
	}
	if (out->bad_values)
		out->broken |= CTS_RULE_VALUES;
	if (out->bad_tables)
		out->broken |= CTS_RULE_TABLE;
	if (out->first_registry)
		out->broken |= CTS_RULE_REGISTRY;
}

/* Every op's HLC within CTS_HLC_MAX_AHEAD_MS of the sealing time. */
static void judge_sealing_clock(const cts_changeset *cs, uint64_t sealed_ms,
                                cts_accept_verdict *out)
{
	size_t i;
	json_t *op;

	json_array_foreach(cs->ops, i, op)
	{
		uint64_t hlc = 0;
		if (cts_hlc_parse(&hlc, json_string_value(json_object_get(op, "hlc"))) == 0 &&
		    CTS_HLC_MS(hlc) > sealed_ms + CTS_HLC_MAX_AHEAD_MS &&
		    CTS_HLC_MS(hlc) - sealed_ms > out->ahead_ms)
			out->ahead_ms = CTS_HLC_MS(hlc) - sealed_ms;
	}
	if (out->ahead_ms)
		out->broken |= CTS_RULE_SEALING_CLOCK;
}

/* The chain: in seq order, `prev` naming the accepted previous one. */
static void judge_chain(const cts_changeset *cs, const cts_accept_view *view,
                        cts_accept_verdict *out)
{
	if (cs->seq <= view->last_seq) {
		if (!(view->here_id && strcmp(view->here_id, cs->id) == 0))
			out->broken |= CTS_RULE_SEQ_TAKEN;
	} else if (cs->seq > view->last_seq + 1) {
		out->broken |= CTS_RULE_GAP;
	} else if (cs->seq > 1 &&
	           (!view->prev_id || !cs->prev || strcmp(view->prev_id, cs->prev) != 0)) {
		out->broken |= CTS_RULE_PREV;
	}
}

static cts_accept_state set_reason(cts_accept_verdict *out, unsigned rule, cts_accept_state st,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static cts_accept_state set_reason(cts_accept_verdict *out, unsigned rule, cts_accept_state st,
                                   const char *fmt, ...)
{
	va_list ap;

	out->rule = rule;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return st;
}

/* The verdict: the first broken rule, in the importer's order. */
static cts_accept_state first_broken(const cts_changeset *cs, const cts_accept_view *view,
                                     cts_accept_verdict *out, size_t first_op, unsigned first_rule,
                                     const char *op_why)
{
	unsigned b = out->broken;
	int64_t from = view->fork_from;

	if (b & CTS_RULE_UNKNOWN_SIGNER)
		return set_reason(out, CTS_RULE_UNKNOWN_SIGNER, CTS_ACCEPT_PENDING,
		                  "nœud « %s » pas encore inscrit par la région", cs->node);
	if (b & CTS_RULE_SIGNATURE)
		return set_reason(out, CTS_RULE_SIGNATURE, CTS_ACCEPT_REFUSED,
		                  "signature invalide : %s", view->sig_why ? view->sig_why : "");
	if ((b & CTS_RULE_FORK) && from == cs->seq)
		return set_reason(out, CTS_RULE_FORK, CTS_ACCEPT_REFUSED,
		                  "bifurcation : %s a signé deux changesets différents portant ce "
		                  "numéro (les deux sont refusés)",
		                  cs->node);
	if (b & CTS_RULE_FORK)
		return set_reason(out, CTS_RULE_FORK, CTS_ACCEPT_REFUSED,
		                  "bifurcation de %s au n°%lld : ce changeset et tous les suivants "
		                  "de sa chaîne sont refusés",
		                  cs->node, (long long)from);
	if (b & CTS_RULE_REVOKED)
		return set_reason(out, CTS_RULE_REVOKED, CTS_ACCEPT_IGNORED,
		                  "clé révoquée : changesets valides jusqu'au n°%lld",
		                  (long long)view->revoked_after);
	if (b & CTS_RULE_TERRITORY)
		return set_reason(out, CTS_RULE_TERRITORY, CTS_ACCEPT_REFUSED,
		                  "territoire différent de celui de l'inscription : %s",
		                  cs->territory);
	if (cs->seq <= view->last_seq && !(b & CTS_RULE_SEQ_TAKEN))
		return CTS_ACCEPT_DUPLICATE;
	if (b & CTS_RULE_SEQ_TAKEN)
		return set_reason(out, CTS_RULE_SEQ_TAKEN, CTS_ACCEPT_REFUSED,
		                  "bifurcation : un autre changeset porte déjà ce numéro");
	if (b & CTS_RULE_GAP)
		return set_reason(out, CTS_RULE_GAP, CTS_ACCEPT_PENDING,
		                  "en attente du changeset n°%lld de %s (trou dans la chaîne)",
		                  (long long)(view->last_seq + 1), cs->node);
	if (b & CTS_RULE_PREV)
		return set_reason(out, CTS_RULE_PREV, CTS_ACCEPT_REFUSED,
		                  "chaîne rompue : « prev » ne désigne pas le changeset précédent");
	if (first_op)
		return set_reason(out, first_rule, CTS_ACCEPT_REFUSED, "opération %zu : %s",
		                  first_op, op_why);
	if (b & CTS_RULE_CLOCK_AHEAD)
		return set_reason(out, CTS_RULE_CLOCK_AHEAD, CTS_ACCEPT_HELD,
		                  "horloge en avance de %.1f h sur la nôtre : changeset retenu",
		                  (double)(CTS_HLC_MS(cs->hlc_max) - view->now_ms) / 3600000.0);
	if (b & CTS_RULE_SEALING_CLOCK)
		return set_reason(
		    out, CTS_RULE_SEALING_CLOCK, CTS_ACCEPT_REFUSED,
		    "horloge (HLC) en avance de %.1f h sur l'heure de scellement %s (24 h au plus)",
		    (double)out->ahead_ms / 3600000.0, cs->time);
	return CTS_ACCEPT_OK;
}

void cts_accept_judge(const cts_changeset *cs, const cts_accept_view *view, cts_accept_verdict *out)
{
	char op_why[400] = "";
	size_t first_op = 0;
	unsigned first_rule = 0;

	memset(out, 0, sizeof(*out));
	if (!view->known)
		out->broken |= CTS_RULE_UNKNOWN_SIGNER;
	else if (!view->sig_ok)
		out->broken |= CTS_RULE_SIGNATURE;
	if (view->fork_from > 0 && view->fork_from <= cs->seq)
		out->broken |= CTS_RULE_FORK;
	if (view->known && view->revoked_after >= 0 && cs->seq > view->revoked_after)
		out->broken |= CTS_RULE_REVOKED;
	if (view->known && view->territory && strcmp(cs->territory, view->territory) != 0)
		out->broken |= CTS_RULE_TERRITORY;
	judge_chain(cs, view, out);
	/* A revoked node's later changesets are ignored: their content is not judged. */
	if (!(out->broken & CTS_RULE_REVOKED)) {
		judge_ops(cs, view, out, &first_op, &first_rule, op_why, sizeof(op_why));
		if (view->clock_rule &&
		    CTS_HLC_MS(cs->hlc_max) > view->now_ms + CTS_HLC_MAX_AHEAD_MS)
			out->broken |= CTS_RULE_CLOCK_AHEAD;
		if (view->sealing_rule)
			judge_sealing_clock(cs, view->sealed_ms, out);
	}
	out->state = first_broken(cs, view, out, first_op, first_rule, op_why);
}
