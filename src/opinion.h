/* Formal opinions (avis) issued at a meeting, with their votes. */
#ifndef CTS_OPINION_H
#define CTS_OPINION_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *meeting;
	const char *subject;
	long long votes_for, votes_against, votes_abstain;
	const char *outcome; /* favorable | defavorable | reserve */
} cts_opinion_fields;

/* Add an opinion. Refuses negative votes, an unknown meeting or outcome,
 * and more votes than members present when attendance is recorded. */
int cts_opinion_add(cts_node *n, const cts_opinion_fields *f, char id_out[37]);
int cts_opinion_list(cts_node *n, const char *territory, json_t **out);

#endif
