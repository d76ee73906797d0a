/* Contributions (proposals) sent to the regional conference, by theme. */
#ifndef CTS_CONTRIBUTION_H
#define CTS_CONTRIBUTION_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *theme;   /* a theme code published by the authority */
	const char *title;
	const char *text;
	const char *meeting; /* optional */
} cts_contribution_fields;

int cts_contribution_add(cts_node *n, const cts_contribution_fields *f, char id_out[37]);
int cts_contribution_list(cts_node *n, const char *territory, json_t **out);

/* 1 if `code` is a known theme (published, or built in), else 0. */
int cts_theme_known(cts_node *n, const char *code);

/* Themes a contribution may take: the built-in ones, then those the
 * authority published, as a new JSON array of {"code", "label"}. */
int cts_theme_list(cts_node *n, json_t **out);

#endif
