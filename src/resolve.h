/*
 * What people type to name a record, turned into the record's id: the one
 * resolver of the CLI and the web interface.
 *
 * Every kind of record is found by its full id, or by a prefix of it of at
 * least CTS_RESOLVE_MIN_PREFIX hexadecimal characters (as git abbreviates
 * commits; listings show 8). Besides:
 *  - a member by name, "NOM Prénom" or "Prénom NOM", or by last name alone
 *    when no full name matches (case, accents, hyphens and apostrophes
 *    ignored: cts_text_fold);
 *  - a meeting by its date, "2020-06-16" or "16/06/2020", when one meeting
 *    of the territory has it (a cancelled meeting only when no other one
 *    has that date), or by its exact title;
 *  - an opinion by its subject, a contribution by its title (exact text,
 *    folded; withdrawn ones only when no other one matches).
 * Several matches are an error (CTS_EAMBIGUOUS) whose message lists the
 * candidates with their 8-character ids; no match is CTS_ENOTFOUND. Both
 * messages are one French line saying what to do next.
 */
#ifndef CTS_RESOLVE_H
#define CTS_RESOLVE_H

#include "node.h"

#include <jansson.h>

#define CTS_RESOLVE_MIN_PREFIX 4
/* Longest reference accepted (a title is at most 400 bytes). */
#define CTS_RESOLVE_MAX_REF 1000

typedef enum {
	CTS_REF_MEMBER,
	CTS_REF_MEETING,
	CTS_REF_OPINION,
	CTS_REF_CONTRIBUTION
} cts_ref_kind;

/* Flags. */
#define CTS_RESOLVE_REMOVED 1u /* members: among the removed ones (member restore) */

/* The id of the one record of `territory` (NULL: this node's) that `ref`
 * names, into id_out[37]. */
int cts_resolve(cts_node *n, cts_ref_kind kind, const char *territory, const char *ref,
                unsigned flags, char id_out[37]);

/* cts_resolve in this node's territory. */
int cts_resolve_member(cts_node *n, const char *ref, char id_out[37]);
int cts_resolve_meeting(cts_node *n, const char *ref, char id_out[37]);
int cts_resolve_opinion(cts_node *n, const char *ref, char id_out[37]);
int cts_resolve_contribution(cts_node *n, const char *ref, char id_out[37]);

/* Every record `ref` may name, best matches only, for front ends that
 * offer a choice: *out a new JSON array of {"id", "short" (8 characters),
 * "label" (French, e.g. "16/06/2020 Assemblée plénière « Séance »")},
 * ordered by id; empty when nothing matches. */
int cts_resolve_matches(cts_node *n, cts_ref_kind kind, const char *territory, const char *ref,
                        unsigned flags, json_t **out);

#endif
