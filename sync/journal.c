#include "journal.h"

#include "changeset.h"
#include "error.h"
#include "hlc.h"
#include "record.h"
#include "region.h"
#include "sshsig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void format_time(uint64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* seen: highest seq applied of every other node. */
static int build_seen(cts_node *n, json_t **out)
{
	sqlite3_stmt *s;
	json_t *seen = json_object();
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT node, max(seq) FROM changeset WHERE node <> ? GROUP BY node")) < 0) {
		json_decref(seen);
		return rc;
	}
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(seen, (const char *)sqlite3_column_text(s, 0),
		                    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(seen);
		return cts_store_error(n->store, "lecture du contexte causal");
	}
	*out = seen;
	return 0;
}

/* Bytes of operations a sealed changeset carries at most (the rest of
 * the pending ones go into the next): room is left under
 * CTS_CHANGESET_MAX_BYTES for the envelope and `seen`. */
#define SEAL_MAX_OP_BYTES (CTS_CHANGESET_MAX_BYTES - 1024 * 1024)

/* Ops of the next changeset: up to CTS_CHANGESET_MAX_OPS pending entries,
 * and SEAL_MAX_OP_BYTES (one op at least). */
static int build_ops(cts_node *n, json_t **out, int64_t *last_id)
{
	sqlite3_stmt *s;
	json_t *ops = json_array();
	size_t bytes = 0;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT id, hlc, op, tbl, rid, set_json FROM journal"
	                         " WHERE sealed_seq IS NULL ORDER BY id LIMIT ?")) < 0) {
		json_decref(ops);
		return rc;
	}
	sqlite3_bind_int(s, 1, CTS_CHANGESET_MAX_OPS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char hlc[17];
		json_t *op;
		size_t size =
		    (size_t)sqlite3_column_bytes(s, 5) + 200; /* the set, and the op around it */

		if (json_array_size(ops) > 0 && bytes + size > SEAL_MAX_OP_BYTES) {
			rc = SQLITE_DONE;
			break;
		}
		bytes += size;
		cts_hlc_format((uint64_t)sqlite3_column_int64(s, 1), hlc);
		op = json_pack("{s:s, s:s, s:s, s:s}", "hlc", hlc, "op",
		               (const char *)sqlite3_column_text(s, 2), "table",
		               (const char *)sqlite3_column_text(s, 3), "id",
		               (const char *)sqlite3_column_text(s, 4));
		if (sqlite3_column_type(s, 5) == SQLITE_TEXT) {
			json_error_t err;
			json_t *set = json_loads((const char *)sqlite3_column_text(s, 5), 0, &err);
			if (!set) {
				json_decref(op);
				sqlite3_reset(s);
				json_decref(ops);
				return cts_error_set(CTS_EDB, "journal corrompu (opération %lld)",
				                     (long long)sqlite3_column_int64(s, 0));
			}
			json_object_set_new(op, "set", set);
		}
		json_array_append_new(ops, op);
		*last_id = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(ops);
		return cts_store_error(n->store, "lecture du journal");
	}
	*out = ops;
	return 0;
}

int cts_history_id(cts_node *n, const char *node, int64_t seq, char id[65])
{
	sqlite3_stmt *s;
	int rc;

	id[0] = '\0';
	if ((rc = cts_store_stmt_cs(n->store, &s,
	                            "SELECT id FROM changeset WHERE node = ? AND seq = ?", node,
	                            seq)) < 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(id, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	           ? 0
	           : cts_store_error(n->store, "lecture de l'historique");
}

int cts_history_last(cts_node *n, const char *node, int64_t *out)
{
	return cts_region_last_seq(n, node, out);
}

int cts_history_record(cts_node *n, const cts_changeset *cs)
{
	const cts_store_val row[] = { CTS_VTEXT(cs->id),     CTS_VTEXT(cs->territory),
		                      CTS_VTEXT(cs->prev),   CTS_VTEXT(cs->time),
		                      CTS_VINT(cs->hlc_max), CTS_VINT(json_array_size(cs->ops)) };
	const char *other;
	json_t *v;
	int rc;

	if ((rc =
	         cts_store_run_cs(n->store,
	                          "INSERT INTO changeset (node, seq, id, territory, prev, time, "
	                          "hlc_max, nops, applied)"
	                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(applied), "
	                          "-1) + 1 FROM changeset))",
	                          cs->node, cs->seq, row, 6, "enregistrement du changeset")) < 0)
		return rc;
	json_object_foreach(cs->seen, other, v)
	{
		const cts_store_val seen[] = { CTS_VTEXT(other), CTS_VINT(json_integer_value(v)) };
		if ((rc = cts_store_run_cs(n->store,
		                           "INSERT INTO changeset_seen (node, seq, other, oseq) "
		                           "VALUES (?, ?, ?, ?)",
		                           cs->node, cs->seq, seen, 2,
		                           "enregistrement du contexte causal")) < 0)
			return rc;
	}
	return 0;
}

static int record_sealed(cts_node *n, const cts_changeset *cs, int64_t last_id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_history_record(n, cs)) < 0)
		return rc;
	/* The ops' state rows carry the seq that really holds them: each row
	 * is found by its key (a scan by node and hlc range would read the
	 * whole state of a large node at every seal). A row a later local
	 * write took over has another hlc and is left alone. */
	{
		size_t i;
		json_t *op;
		json_array_foreach(cs->ops, i, op)
		{
			const char *tbl = json_string_value(json_object_get(op, "table"));
			const char *rid = json_string_value(json_object_get(op, "id"));
			json_t *set = json_object_get(op, "set");
			uint64_t hlc = 0;
			const char *field;
			json_t *v;

			if (cts_hlc_parse(&hlc, json_string_value(json_object_get(op, "hlc"))) < 0)
				return cts_error_set(CTS_ERR,
				                     "marquage du journal : opération mal formée");
			if (!set) {
				if ((rc = cts_record_mark_sealed(n->store, tbl, cs->territory, rid,
				                                 NULL, cs->node, hlc, cs->seq)) < 0)
					return rc;
				continue;
			}
			json_object_foreach(set, field, v)
			{
				if ((rc = cts_record_mark_sealed(n->store, tbl, cs->territory, rid,
				                                 field, cs->node, hlc, cs->seq)) <
				    0)
					return rc;
			}
		}
	}
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "UPDATE journal SET sealed_seq = ?1 WHERE sealed_seq IS NULL AND id <= ?2")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, cs->seq);
	sqlite3_bind_int64(s, 2, last_id);
	if ((rc = cts_store_done(n->store, s, "marquage du journal")) < 0)
		return rc;
	return cts_store_meta_set_int(n->store, "last_seq", cs->seq);
}

/* A node whose own chain is known to be forked (two versions of one of
 * its changesets, e.g. a restored backup that sealed again) must not go
 * on: everything it seals from there is refused by every importer. */
static int check_not_forked(cts_node *n)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT min(seq) FROM fork_known WHERE node = ?")) <
	    0)
		return rc;
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
		long long seq = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return cts_error_set(CTS_EINVAL,
		                     "ce poste (%s) a signé deux versions différentes de son "
		                     "changeset n°%lld (copie du poste, "
		                     "ou sauvegarde restaurée qui a continué à écrire ?) : ce "
		                     "changeset et tous les suivants sont "
		                     "refusés partout. Les saisies restent ici, mais ce poste ne "
		                     "peut plus publier sous cet "
		                     "identifiant : demandez au coordinateur régional d'inscrire "
		                     "un nouvel identifiant "
		                     "(ctsnode init) et de révoquer celui-ci",
		                     n->id, seq);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	           ? 0
	           : cts_store_error(n->store, "lecture des bifurcations");
}

static int seal_one(cts_node *n, const cts_key *key, int *made)
{
	cts_changeset *cs = NULL;
	json_t *ops = NULL, *seen = NULL;
	char *prev = NULL, *sig = NULL, timebuf[32], prev_id[65];
	size_t sig_len = 0;
	int64_t last_seq, last_id = 0;
	int rc;

	*made = 0;
	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = build_ops(n, &ops, &last_id)) < 0)
		goto cleanup;
	if (json_array_size(ops) == 0)
		goto cleanup;
	if ((rc = check_not_forked(n)) < 0 || (rc = cts_node_machine_check(n)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0 ||
	    (rc = build_seen(n, &seen)) < 0)
		goto cleanup;
	if (last_seq > 0) {
		if ((rc = cts_history_id(n, n->id, last_seq, prev_id)) < 0)
			goto cleanup;
		if (!prev_id[0] || !(prev = strdup(prev_id))) {
			rc = cts_error_set(CTS_EDB,
			                   "changeset n°%lld de ce nœud introuvable dans la base : "
			                   "lancez « ctsnode rebuild »",
			                   (long long)last_seq);
			goto cleanup;
		}
	}
	format_time(n->store->clock(n->store->clock_ctx), timebuf);
	if ((rc = cts_changeset_build(&cs, n->id, n->territory, last_seq + 1, prev, timebuf, seen,
	                              ops)) < 0 ||
	    (rc = cts_sshsig_sign(&sig, &sig_len, key, CTS_SIG_NAMESPACE,
	                          (const unsigned char *)cs->bytes, cs->len)) < 0 ||
	    (rc = cts_history_write(n, n->id, cs->seq, cs->bytes, cs->len, sig, sig_len)) < 0 ||
	    (rc = record_sealed(n, cs, last_id)) < 0)
		goto cleanup;
	*made = 1;
cleanup:
	if (rc == 0)
		rc = cts_store_commit(n->store);
	if (rc < 0) {
		cts_store_rollback(n->store);
		cts_error_prefix(rc, "scellement : ");
	}
	cts_changeset_free(cs);
	json_decref(ops);
	json_decref(seen);
	free(prev);
	free(sig);
	return rc;
}

int cts_journal_seal(cts_node *n, const cts_key *key, int *sealed)
{
	int made, rc, count = 0;

	do {
		if ((rc = seal_one(n, key, &made)) < 0)
			break;
		count += made;
	} while (made);
	if (sealed)
		*sealed = count;
	return rc;
}
