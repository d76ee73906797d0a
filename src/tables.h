/*
 * The replicated tables and their fields: the vocabulary of changeset
 * operations (docs/FORMAT.md).  Every op names a table and fields from this
 * list; anything else is refused.  The SQL tables of schema/ have the same
 * names, with `territory` and `id` columns in front.
 */
#ifndef CTS_TABLES_H
#define CTS_TABLES_H

#include "text.h" /* cts_valid_date */

#include <stddef.h>

typedef enum { CTS_FT_TEXT, CTS_FT_INT, CTS_FT_BOOL } cts_ftype;

typedef struct {
	const char *name;
	cts_ftype type;
	size_t max_len; /* bytes, for text */
} cts_field_def;

typedef enum {
	CTS_WRITER_TERRITORY, /* written by territory nodes, for their own territory */
	CTS_WRITER_AUTHORITY, /* reference data and registry: the authority only */
	CTS_WRITER_ANY        /* evidence (forks): any node, in its own territory; not content */
} cts_writer;

typedef struct {
	const char *name;
	cts_writer writer;
	const cts_field_def *fields;
	size_t nfields;
} cts_table_def;

extern const cts_table_def cts_tables[];
extern const size_t cts_table_count;

/* Table by name, NULL if unknown. Borrowed (static). */
const cts_table_def *cts_table_find(const char *name);

/* Field by name, NULL if the table has no such field. Borrowed. */
const cts_field_def *cts_table_field(const cts_table_def *t, const char *name);

/* Codes fixed by the spec. NULL-terminated lists; labels in French. */
extern const char *const cts_colleges[]; /* professionnels, usagers, ... */
extern const char *const cts_college_labels[];
extern const char *const cts_bodies[]; /* pleniere, bureau, ... */
extern const char *const cts_body_labels[];
extern const char *const cts_builtin_themes[]; /* segur-pilier-1 .. 4 */
extern const char *const cts_builtin_theme_labels[];
extern const char *const cts_seats[]; /* titulaire, suppleant */
extern const char *const cts_seat_labels[];
extern const char *const cts_meeting_statuses[]; /* prevue, tenue, approuvee, annulee */
extern const char *const cts_meeting_status_labels[];
extern const char *const cts_outcomes[]; /* favorable, defavorable, reserve */
extern const char *const cts_outcome_labels[];
/* Opinions and contributions: withdrawn or not (no value: not). */
extern const char *const cts_opinion_statuses[]; /* rendu, retire */
extern const char *const cts_opinion_status_labels[];
extern const char *const cts_contribution_statuses[]; /* transmise, retiree */
extern const char *const cts_contribution_status_labels[];
extern const char *const cts_attendance_statuses[]; /* present, excused, absent */
extern const char *const cts_attendance_status_labels[];
/* College of an attendance row: the five colleges, then invite and ars
 * (guests: invited persons and ARS staff). */
extern const char *const cts_attendance_colleges[];
extern const char *const cts_attendance_college_labels[];
extern const char *const cts_roles[]; /* authority, territory (registry) */
extern const char *const cts_role_labels[];

/* Index of `code` in a NULL-terminated list, or -1. */
int cts_code_index(const char *const *list, const char *code);

/* The French label of `code` in `codes` (labels: the matching list), the
 * code itself when it is not one of them, "" for NULL. Borrowed. */
const char *cts_code_label(const char *const *codes, const char *const *labels, const char *code);

/* Validators for identifiers of the envelope (SPEC §3). 1 valid, 0 not. */
int cts_valid_node_id(const char *s);   /* [a-z0-9-]{3,64} */
int cts_valid_territory(const char *s); /* [a-z0-9-]{2,64} */
int cts_valid_uuid(const char *s);      /* lowercase 8-4-4-4-12 hex */
int cts_valid_code(const char *s);      /* a reference code (theme): [a-z0-9-]{2,64} */
int cts_valid_hex64(const char *s);     /* 64 lowercase hex digits (SHA-256) */

#endif
