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

/* The typed fields as values to write, in the order messages name them:
 * the strings (adding: every one, NULL as null; else the given ones) and
 * the counts of `counts` (CTS_VOTES_*). NULL when out of memory. */
static json_t *fields_to_set(const cts_opinion_fields *f, unsigned counts, int adding)
{
	const struct {
		const char *field, *text;
		unsigned count; /* a count: its CTS_VOTES_* bit; 0: a string */
		long long value;
	} in[] = {
		{ "meeting", f->meeting, 0, 0 },
		{ "subject", f->subject, 0, 0 },
		{ "votes_for", NULL, CTS_VOTES_FOR, f->votes_for },
		{ "votes_against", NULL, CTS_VOTES_AGAINST, f->votes_against },
		{ "votes_abstain", NULL, CTS_VOTES_ABSTAIN, f->votes_abstain },
		{ "outcome", f->outcome, 0, 0 },
	};
	json_t *set = json_object();

	for (size_t i = 0; set && i < sizeof(in) / sizeof(in[0]); i++) {
		if (in[i].count && (counts & in[i].count))
			json_object_set_new(set, in[i].field, json_integer(in[i].value));
		else if (!in[i].count && (adding || in[i].text))
			json_object_set_new(set, in[i].field, cts_record_text(in[i].text));
	}
	return set;
}

int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37])
{
	json_t *set;
	int rc;

	if ((rc = cts_meeting_check(n, NULL, f->meeting)) < 0)
		return rc;
	if (!(set = fields_to_set(f, CTS_VOTES_FOR | CTS_VOTES_AGAINST | CTS_VOTES_ABSTAIN, 1)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_change_add(n, "opinion", set, check_meeting, NULL, id_out);
	json_decref(set);
	return rc;
}

int cts_opinion_update(cts_node *n, const char *id, const cts_opinion_fields *f, cts_change *out)
{
	json_t *set = fields_to_set(f, f->votes_given, 0);
	int rc;

	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_rules_check_set("opinion", set, NULL)) == 0)
		rc = cts_change_update(n, "opinion", id, set,
		                       "rien à modifier : indiquez au moins un champ (--subject, "
		                       "--for, --against, --abstain,"
		                       " --outcome, --meeting)",
		                       check_meeting, NULL, out);
	json_decref(set);
	return rc;
}
