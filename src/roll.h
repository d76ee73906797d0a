/*
 * The roll of a territory matched by name. People are named on sheets and
 * command lines as they are typed: case, accents, hyphens and apostrophes
 * differ (folded away: cts_text_fold, an exact match), and letters are
 * doubled, dropped or swapped (a near match: a bounded edit distance on the
 * folded names). A near match is only ever a suggestion; nothing is
 * matched to it without the user saying so.
 */
#ifndef CTS_ROLL_H
#define CTS_ROLL_H

#include "node.h"

#include <stddef.h>

/* At most this many near candidates are returned, closest first. */
#define CTS_ROLL_MAX_NEAR 3

typedef struct {
	char id[37];
	char *last_name, *first_name;      /* as recorded ("" when empty) */
	char *organisation, *college;      /* "" when empty */
	char *seat;                        /* "titulaire" or "suppleant" ("titulaire" when unset) */
	char *mandate_start, *mandate_end; /* YYYY-MM-DD, "" when open */
	char *fold_last, *fold_first;      /* cts_text_fold of the names */
	char *key;                         /* fold_last " " fold_first */
} cts_roll_member;

typedef struct {
	cts_roll_member *members; /* sorted by name as `member list` does */
	size_t count;
} cts_roll;

typedef struct {
	long exact;         /* index of the (first) member with these folded names, -1 if none */
	size_t exact_count; /* members with these folded names (homonyms: more than one) */
	size_t near[CTS_ROLL_MAX_NEAR]; /* indexes of near members when no exact one */
	unsigned dist[CTS_ROLL_MAX_NEAR];
	size_t near_count;
} cts_roll_match;

/* The members of `territory` (NULL: this node's). *out belongs to the caller
 * (cts_roll_free). A name that is not valid UTF-8 (not possible through the
 * rules, kept defensive) folds to itself. */
int cts_roll_load(cts_node *n, const char *territory, cts_roll **out);

/* Free a roll; accepts NULL. */
void cts_roll_free(cts_roll *roll);

/* Match a person named by last and first name (first may be "" or NULL):
 * exact when the folded names are those of a member; else near members:
 *  - the folded "last first" (or "first last") is at most 1 (short names,
 *    4 to 8 characters) or 2 (9 characters and more) edits away from a
 *    member's (edits: a letter added, dropped, changed, or two neighbours
 *    swapped; names under 4 characters have no near match);
 *  - or the same folded last name with an empty first name or an initial
 *    ("P." for Pierre).
 * CTS_EINVAL when a name is not valid UTF-8. */
int cts_roll_match_person(const cts_roll *roll, const char *last, const char *first,
                          cts_roll_match *m);

/* Match a person named in one string, "NOM Prénom" or "Prénom NOM" (as
 * typed on a command line): exact when the folded text is a member's folded
 * "last first" or "first last"; near candidates as above, and the members
 * whose last name alone is the text. */
int cts_roll_match_name(const cts_roll *roll, const char *name, cts_roll_match *m);

/* The refusal of `text` naming no member of the roll (after the resolver,
 * resolve.h, found none): CTS_ENOTFOUND with a French message naming the
 * near members with their short ids ("vouliez-vous dire GESLIN Annie
 * (1a2b3c4d) ?"), or pointing to the member list when there are none. */
int cts_roll_refuse_unknown(const cts_roll *roll, const char *text);

/* Edit distance (optimal string alignment: insertions, deletions,
 * substitutions, transpositions of neighbours) between the code points of
 * two valid UTF-8 strings, or bound + 1 when it is greater than bound. */
unsigned cts_roll_distance(const char *a, const char *b, unsigned bound);

/* 1 if the member's mandate covers `date` (YYYY-MM-DD; open ends cover
 * everything), else 0. */
int cts_roll_in_mandate(const cts_roll_member *m, const char *date);

#endif
