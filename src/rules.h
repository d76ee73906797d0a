/*
 * Domain rules of record values: the one place that says which value a
 * field of a replicated table may hold (a college code, a real date, a vote
 * count, a name without control characters...). The CLI and the domain
 * modules check their input with it, the importer refuses a changeset one of
 * whose operations breaks it, and the audit reports such a changeset.
 *
 * Pure: no database, no clock, no reference data. What needs them stays
 * with the caller (a meeting that exists, a theme the authority published,
 * votes above the members present): they are input checks of the CLI and
 * controls of the reports, not conditions of acceptance of a history.
 *
 * Every field of tables.c has exactly one rule (a unit test checks it);
 * adding a field is one line in each table. docs/FORMAT.md lists the rules.
 */
#ifndef CTS_RULES_H
#define CTS_RULES_H

#include <jansson.h>
#include <stdint.h>

/* Upper bound of a vote count (a council has at most a few hundred
 * members; 10000 leaves room for any assembly and refuses absurd values). */
#define CTS_RULES_MAX_COUNT 10000
/* Upper bound of a changeset number (JSON integers are exact up to 2^53). */
#define CTS_RULES_MAX_SEQ 9007199254740991LL

typedef enum {
	CTS_RULE_LINE,    /* text on one line: no control character */
	CTS_RULE_TEXT,    /* text that may span lines: tab, CR, LF allowed */
	CTS_RULE_CODE,    /* one of a closed list of codes (codes, below) */
	CTS_RULE_DATE,    /* YYYY-MM-DD, a real calendar date */
	CTS_RULE_UUID,    /* id of a record: lowercase UUID */
	CTS_RULE_COUNT,   /* integer 0..CTS_RULES_MAX_COUNT */
	CTS_RULE_SEQ,     /* a changeset number: integer 1..CTS_RULES_MAX_SEQ */
	CTS_RULE_UPTO,    /* changesets up to a number: integer 0..CTS_RULES_MAX_SEQ (0: none) */
	CTS_RULE_NODE,    /* node id [a-z0-9-]{3,64} */
	CTS_RULE_REFCODE, /* territory or theme code [a-z0-9-]{2,64} */
	CTS_RULE_HEX64,   /* changeset id: 64 lowercase hex digits */
	CTS_RULE_KEY,     /* "ssh-ed25519 AAAA..." line of a usable key */
	CTS_RULE_BOOL,    /* true or false */
	CTS_RULE_DATA     /* opaque UTF-8 text without NUL (fork records: whole changeset files) */
} cts_rule_kind;

/* A closed list of codes: codes and labels NULL-terminated (tables.h);
 * unknown: what the message says of a value not in the list. */
typedef struct {
	const char *const *codes;
	const char *const *labels;
	const char *unknown; /* "collège inconnu" */
} cts_codeset;

typedef struct {
	const char *table, *field;
	cts_rule_kind kind;
	int required;             /* never null, never empty or blank text */
	const cts_codeset *codes; /* CTS_RULE_CODE only */
	const char *label;        /* French, with its article: "le collège" */
} cts_field_rule;

/* The rule of table.field, NULL if there is none (unknown field). Borrowed
 * (static). Front ends use it for labels, choices and required marks. */
const cts_field_rule *cts_rules_find(const char *table, const char *field);

/* Why a value was refused. Strings table/field/label are static; value is
 * a short printable excerpt of the value ("" when none: missing or null);
 * message is one French line for the person who typed it, e.g.
 * "collège inconnu « astronautes » : professionnels, usagers, ...". */
typedef struct {
	const char *table, *field, *label;
	char value[80];
	char message[400];
} cts_rule_violation;

/* Every member of `set` (a put's set: partial for an update, null clears
 * an optional field) is a known field with an acceptable value. 0, or
 * CTS_EINVAL / CTS_ELIMIT with cts_error set to the message and *why (may
 * be NULL) filled for the first field refused, in the set's key order. */
int cts_rules_check_set(const char *table, const json_t *set, cts_rule_violation *why);

/* cts_rules_check_set for a new record: every required field present too. */
int cts_rules_check_new(const char *table, const json_t *set, cts_rule_violation *why);

/* Input checks of dates against the calendar (local writes only: an
 * importer never refuses a history for its dates, since "today" differs
 * between nodes). CTS were created by the law of 26 January 2016. */
#define CTS_RULES_FIRST_DATE "2016-01-26"

/* 0 if `date` (YYYY-MM-DD, already checked by the rules) lies between
 * CTS_RULES_FIRST_DATE and `latest` (YYYY-MM-DD) inclusive, else
 * CTS_EINVAL with a French message naming `label` ("la date de la
 * réunion") and saying what to check; `latest_words` says what `latest`
 * is ("plus d'un an après aujourd'hui", "après aujourd'hui"). */
int cts_rules_check_date_window(const char *label, const char *date, const char *latest,
                                const char *latest_words);

/* One line naming table, field, value and rule, for importers and audits:
 * "table member, champ college : collège inconnu « evil » : professionnels, ...". */
void cts_rules_describe(const cts_rule_violation *why, char *buf, size_t size);

#endif
