#include "opinion.h"

#include "error.h"
#include "meeting.h"
#include "record.h"
#include "rules.h"
#include "tables.h"

#include <stdlib.h>
#include <string.h>

/* Votes of a meeting whose attendance is recorded: not more than the members present. */
static int check_votes(cts_node *n, const char *meeting, long long votes)
{
	sqlite3_stmt *s;
	long long present = 0, recorded = 0;
	int rc;

	if ((rc = cts_store_stmt_args(
	         n->store, &s,
	         "SELECT count(*), coalesce(sum(status = 'present'), 0) FROM attendance"
	         " WHERE territory = ? AND meeting = ? AND member IS NOT NULL",
	         (const char *const[]){ n->territory, meeting }, 2)) < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW) {
		recorded = sqlite3_column_int64(s, 0);
		present = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (recorded > 0 && votes > present)
		return cts_error_set(CTS_EINVAL,
		                     "%lld voix exprimées pour %lld membres présents à cette "
		                     "réunion : vérifiez les votes",
		                     votes, present);
	return 0;
}

const char *cts_opinion_contradiction(long long votes_for, long long votes_against,
                                      const char *outcome)
{
	if (!outcome)
		return NULL;
	if (strcmp(outcome, "favorable") == 0 && votes_against > votes_for)
		return "avis favorable avec plus de voix contre que de voix pour";
	if (strcmp(outcome, "defavorable") == 0 && votes_for > votes_against)
		return "avis défavorable avec plus de voix pour que de voix contre";
	return NULL;
}

static long long count_of(const json_t *set, const json_t *row, const char *key)
{
	json_t *v = json_object_get(set, key);

	return json_integer_value(v ? v : json_object_get(row, key));
}

/* The meeting the opinion hangs on (and the one it moves to) accepts it,
 * and the votes it will have fit the members present. */
static int check_meeting(cts_node *n, const json_t *set, const json_t *row, void *ctx)
{
	const char *was = json_string_value(json_object_get(row, "meeting"));
	const char *to = json_string_value(json_object_get(set, "meeting"));
	long long votes;
	int rc;

	(void)ctx;
	if ((rc = cts_change_require_meetings(n, set, row)) < 0)
		return rc;
	votes = count_of(set, row, "votes_for") + count_of(set, row, "votes_against") +
	        count_of(set, row, "votes_abstain");
	return check_votes(n, to ? to : was, votes);
}

int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37])
{
	json_t *set;
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
	rc = cts_change_add(n, "opinion", set, check_meeting, NULL, id_out);
	json_decref(set);
	return rc;
}

int cts_opinion_update(cts_node *n, const char *id, const cts_opinion_fields *f, cts_change *out)
{
	json_t *set = json_object();
	int rc;

	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (f->meeting)
		json_object_set_new(set, "meeting", cts_record_text(f->meeting));
	if (f->subject)
		json_object_set_new(set, "subject", cts_record_text(f->subject));
	if (f->votes_given & CTS_VOTES_FOR)
		json_object_set_new(set, "votes_for", json_integer(f->votes_for));
	if (f->votes_given & CTS_VOTES_AGAINST)
		json_object_set_new(set, "votes_against", json_integer(f->votes_against));
	if (f->votes_given & CTS_VOTES_ABSTAIN)
		json_object_set_new(set, "votes_abstain", json_integer(f->votes_abstain));
	if (f->outcome)
		json_object_set_new(set, "outcome", cts_record_text(f->outcome));
	if ((rc = cts_rules_check_set("opinion", set, NULL)) == 0)
		rc = cts_change_update(n, "opinion", id, set,
		                       "rien à modifier : indiquez au moins un champ (--subject, "
		                       "--for, --against, --abstain,"
		                       " --outcome, --meeting)",
		                       check_meeting, NULL, out);
	json_decref(set);
	return rc;
}

int cts_opinion_withdraw(cts_node *n, const char *id, cts_change *out)
{
	return cts_change_attached_status(n, "opinion", id, "retire", CTS_MEETING_EDIT, out);
}

int cts_opinion_restore(cts_node *n, const char *id, cts_change *out)
{
	return cts_change_attached_status(n, "opinion", id, "rendu", CTS_MEETING_ATTACH, out);
}

int cts_opinion_list(cts_node *n, const char *territory, json_t **out)
{
	return cts_store_rows_of(
	    n->store,
	    "SELECT o.territory, o.id, o.meeting, m.date, o.subject, o.votes_for, o.votes_against,"
	    " o.votes_abstain, o.outcome, o.status FROM opinion o LEFT JOIN meeting m"
	    " ON m.territory = o.territory AND m.id = o.meeting"
	    " WHERE ?1 IS NULL OR o.territory = ?1 ORDER BY o.territory, m.date, o.subject, o.id",
	    territory, out);
}
