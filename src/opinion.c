#include "opinion.h"

#include "error.h"
#include "meeting.h"
#include "record.h"
#include "tables.h"
#include "text.h"

#include <string.h>

static const char *const outcomes[] = { "favorable", "defavorable", "reserve", NULL };

int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37])
{
	sqlite3_stmt *s;
	long long present = 0, recorded = 0;
	json_t *set;
	char id[37];
	int rc;

	if ((rc = cts_meeting_check(n, NULL, f->meeting)) < 0)
		return rc;
	if (!f->subject || !*f->subject)
		return cts_error_set(CTS_EINVAL, "l'objet de l'avis (--subject) est obligatoire");
	if (strlen(f->subject) > 1000 || !cts_text_utf8_valid(f->subject, strlen(f->subject)))
		return cts_error_set(CTS_EINVAL, "objet de l'avis trop long ou non UTF-8");
	if (f->votes_for < 0 || f->votes_against < 0 || f->votes_abstain < 0 ||
	    f->votes_for > 10000 || f->votes_against > 10000 || f->votes_abstain > 10000)
		return cts_error_set(CTS_EINVAL, "nombre de voix invalide : des entiers positifs sont attendus");
	if (!f->outcome || cts_code_index(outcomes, f->outcome) < 0)
		return cts_error_set(CTS_EINVAL, "sens de l'avis inconnu « %.40s » : favorable, defavorable ou reserve",
				     f->outcome ? f->outcome : "");
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
	cts_record_new_id(id);
	set = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "meeting", f->meeting, "subject", f->subject,
			"votes_for", (json_int_t)f->votes_for, "votes_against", (json_int_t)f->votes_against,
			"votes_abstain", (json_int_t)f->votes_abstain, "outcome", f->outcome);
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
