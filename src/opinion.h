/* Formal opinions (avis) issued at a meeting, with their votes. */
#ifndef CTS_OPINION_H
#define CTS_OPINION_H

#include "change.h"
#include "node.h"

#include <jansson.h>

/* Which vote counts an update changes (votes_given). */
#define CTS_VOTES_FOR 1u
#define CTS_VOTES_AGAINST 2u
#define CTS_VOTES_ABSTAIN 4u

typedef struct {
	const char *meeting;
	const char *subject;
	long long votes_for, votes_against, votes_abstain;
	const char *outcome;  /* favorable | defavorable | reserve */
	unsigned votes_given; /* update only: CTS_VOTES_* of the counts to change */
} cts_opinion_fields;

/* Add an opinion. Refuses negative votes, an unknown meeting or outcome,
 * a meeting that is locked (approved) or cancelled, and more votes than
 * members present when attendance is recorded. An outcome that
 * contradicts the votes is accepted (the report flags it). */
int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37]);

/* Change the given fields (non-NULL strings, the counts in votes_given)
 * of opinion `id`, with the checks of add; the meeting it hangs on (and
 * the one it moves to) must accept it. out (may be NULL) says what
 * changed; nothing to change writes nothing. */
int cts_opinion_update(cts_node *n, const char *id, const cts_opinion_fields *f, cts_change *out);

/* Withdraw and restore: cts_change_withdraw (change.h), table "opinion". */

/* The list of opinions: cts_change_list (change.h), table "opinion". */

/* Does the outcome contradict the votes (favorable with more votes
 * against than for, defavorable with more for than against)? A French
 * description (static) of the contradiction, or NULL. */
const char *cts_opinion_contradiction(long long votes_for, long long votes_against,
                                      const char *outcome);

#endif
