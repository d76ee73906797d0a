/* Council members (SPEC §1): the roll of a territory. */
#ifndef CTS_MEMBER_H
#define CTS_MEMBER_H

#include "change.h"
#include "node.h"

#include <jansson.h>

typedef struct {
	const char *last_name;
	const char *first_name;
	const char *organisation;
	const char *college;       /* one of cts_colleges */
	const char *seat;          /* titulaire | suppleant (default titulaire) */
	const char *role;          /* free text, optional */
	const char *mandate_start; /* YYYY-MM-DD or DD/MM/YYYY, optional */
	const char *mandate_end;   /* YYYY-MM-DD or DD/MM/YYYY, optional */
} cts_member_fields;

/* Add a member of this node's territory. Refuses unknown college/seat,
 * bad dates (a mandate starts after 2016-01-26 and at most one year after
 * today, ends at most ten years after today, not before it starts), and a
 * member with the same name (accents and case ignored). id_out gets the
 * new id (may be NULL). Runs in its own transaction unless one is open. */
int cts_member_add(cts_node *n, const cts_member_fields *f, char id_out[37]);

/* Change the given (non-NULL) fields of a member; "" clears optional ones.
 * Same checks as add (a new name must be nobody else's). out (may be
 * NULL) says what changed; nothing to change writes nothing. */
int cts_member_update(cts_node *n, const char *id, const cts_member_fields *f, cts_change *out);

/* Remove a member from the roll: a record tombstone (one del), the
 * history keeps every value. */
int cts_member_remove(cts_node *n, const char *id, cts_change *out);

/* Bring a removed member back with the same id: one put of the last value
 * of every field the engine holds (the tombstone hides them, never drops
 * them), so that the whole record is visible again on every node. Refused
 * when a member of the roll now has the same name. A member that is not
 * removed: nothing written, said so. */
int cts_member_restore(cts_node *n, const char *id, cts_change *out);

/* Find a member of `territory` by name (folded). id_out "" when none. */
int cts_member_find(cts_node *n, const char *territory, const char *last_name,
                    const char *first_name, char id_out[37]);

/* The list of members: cts_change_list (change.h), table "member". */

/* Removed members of `territory` (NULL: every territory), with their last
 * values, as a new JSON array of the same objects as cts_change_list's. */
int cts_member_list_removed(cts_node *n, const char *territory, json_t **out);

#endif
