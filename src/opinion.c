#include "opinion.h"

#include "error.h"
#include "meeting.h"
#include "record.h"
#include "rules.h"
#include "tables.h"

#include <string.h>

/* Votes of a meeting whose attendance is recorded: not more than the members present. */
static int check_votes(cts_node *n, const cts_opinion_fields *f)
{
	sqlite3_stmt *s;
	long long present = 0, recorded = 0;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT count(*), coalesce(sum(status = 'present'), 0) FROM attendance"
				 " WHERE territory = ? AND meeting = ? AND member IS NOT NULL")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->meeting, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		recorded = sqlite3_column_int64(s, 0);
		present = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (recorded > 0 && f->votes_for + f->votes_against + f->votes_abstain > present)
		return cts_error_set(CTS_EINVAL, "%lld voix exprimées pour %lld membres présents à cette réunion : vérifiez les votes",
				     f->votes_for + f->votes_against + f->votes_abstain, present);
	return 0;
}

int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37])
{
	json_t *set;
	char id[37];
	int rc;

	if ((rc = cts_meeting_check(n, NULL, f->meeting)) < 0)
		return rc;
	if (!(set = json_object()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_object_set_new(set, "meeting", cts_record_text(f->meeting));
	json_object_set_new(set, "subject", cts_record_text(f->subject));
	json_object_set_new(set, "votes_for", json_integer(f->votes_for));
	json_object_set_new(set, "votes_against", json_integer(f->votes_against));
	json_object_set_new(set, "votes_abstain", json_integer(f->votes_abstain));
	json_object_set_new(set, "outcome", cts_record_text(f->outcome));
	if ((rc = cts_rules_check_new("opinion", set, NULL)) < 0 || (rc = check_votes(n, f)) < 0) {
		json_decref(set);
		return rc;
	}
	cts_record_new_id(id);
	rc = cts_record_put(n->store, "opinion", id, set);
	json_decref(set);
	if (rc == 0 && id_out)
		memcpy(id_out, id, 37);
	return rc;
}

int cts_opinion_list(cts_node *n, const char *territory, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT o.territory, o.id, o.meeting, m.date, o.subject, o.votes_for, o.votes_against,"
				 " o.votes_abstain, o.outcome FROM opinion o LEFT JOIN meeting m"
				 " ON m.territory = o.territory AND m.id = o.meeting"
				 " WHERE ?1 IS NULL OR o.territory = ?1 ORDER BY o.territory, m.date, o.subject, o.id")) < 0)
		return rc;
	if (territory)
		sqlite3_bind_text(s, 1, territory, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}
