/* Council members (SPEC §1): the roll of a territory. */
#ifndef CTS_MEMBER_H
#define CTS_MEMBER_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *last_name;
	const char *first_name;
	const char *organisation;
	const char *college;       /* one of cts_colleges */
	const char *seat;          /* titulaire | suppleant (default titulaire) */
	const char *role;          /* free text, optional */
	const char *mandate_start; /* YYYY-MM-DD, optional */
	const char *mandate_end;   /* YYYY-MM-DD, optional */
} cts_member_fields;

/* Add a member of this node's territory. Refuses unknown college/seat,
 * bad dates, and a member with the same name (accents and case ignored).
 * id_out gets the new id (may be NULL). Runs in its own transaction unless
 * one is open. */
int cts_member_add(cts_node *n, const cts_member_fields *f, char id_out[37]);

/* Change the given (non-NULL) fields of a member; "" clears optional ones. */
int cts_member_update(cts_node *n, const char *id, const cts_member_fields *f);

/* Remove a member (a tombstone: the history keeps it). */
int cts_member_remove(cts_node *n, const char *id);

/* Find a member of `territory` by name (folded). id_out "" when none. */
int cts_member_find(cts_node *n, const char *territory, const char *last_name,
		    const char *first_name, char id_out[37]);

/* Members of `territory` (NULL: this node's), sorted by name, as a new
 * JSON array of objects. */
int cts_member_list(cts_node *n, const char *territory, json_t **out);

#endif
