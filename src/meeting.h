/* Meetings of a council's bodies (SPEC §1). */
#ifndef CTS_MEETING_H
#define CTS_MEETING_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *body;   /* one of cts_bodies */
	const char *date;   /* YYYY-MM-DD */
	const char *title;
	const char *place;  /* optional */
	const char *status; /* prevue | tenue | annulee (default tenue) */
} cts_meeting_fields;

/* Add a meeting of this node's territory; id_out gets its id. */
int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37]);

/* 0 if meeting `id` exists in `territory` (NULL: this node's), else
 * CTS_ENOTFOUND with a French message. */
int cts_meeting_check(cts_node *n, const char *territory, const char *id);

/* Meetings (NULL territory: this node's), by date, as a new JSON array. */
int cts_meeting_list(cts_node *n, const char *territory, json_t **out);

#endif
