/*
 * The ctsnode command line: shared context, option parsing, output and
 * exit codes. Only the CLI prints or exits.
 *
 * Exit codes (documented in docs/CLI.md and `ctsnode --help`):
 *   0  success
 *   1  findings, or input refused (invalid data, bad signature, wrong passphrase)
 *   2  usage error (unknown command or option, missing argument), a remote
 *      access setting to fix (token refused, unknown certificate or host key),
 *      or a record reference that names several records (CTS_EAMBIGUOUS)
 *   3  internal or I/O failure (disk, database, git)
 *   4  remote unreachable: the work is sealed and kept locally, the push is queued
 *   5  the node is busy (another ctsnode process holds it)
 */
#ifndef CTS_CLI_H
#define CTS_CLI_H

#include "change.h"
#include "importer.h"
#include "node.h"
#include "resolve.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2,
	EXIT_INTERNAL = 3,
	EXIT_QUEUED = 4,
	EXIT_BUSY = 5
};

typedef struct {
	const char *home_flag; /* --home */
	int json;              /* --json */
	const char *prog;      /* "ctsnode member add", for messages */
	int all_territories;   /* listings: rows of every territory (a territory column) */
	char *pass;            /* the key passphrase once it opened the key: asked once per
	                          command (sodium memory, wiped by main) */
} cli_ctx;

typedef enum { OPT_STR, OPT_FLAG, OPT_INT, OPT_LIST } cli_opt_kind;

/* A repeatable option's values (OPT_LIST), in order. */
#define CLI_LIST_MAX 256
typedef struct {
	const char *v[CLI_LIST_MAX];
	size_t n;
} cli_strlist;

typedef struct {
	const char *name; /* without the leading "--" */
	cli_opt_kind kind;
	void *dest; /* const char **, int *, long long *, cli_strlist * */
	int required;
} cli_opt;

/* Parse argv[0..argc) against opts; positionals are collected into
 * pos[0..*npos) (at most max_pos). --help prints `help` and returns -1
 * with *exit_code = 0; errors print a usage message, *exit_code = 2. */
int cli_parse(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help, char **pos,
              int max_pos, int *npos, int *exit_code);

/* Print the current library error and map its code to an exit code. */
int cli_fail(cli_ctx *c, int rc);

/* Print a usage error (French) and return EXIT_USAGE. */
int cli_usage(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open the node of --home / CTSNODE_HOME. Prints the error on failure and
 * returns the exit code (0 on success). */
int cli_open_node(cli_ctx *c, cts_node **out);

/* The id of the record of this node's territory that `ref` names (full
 * id, prefix of at least 4 characters, name, date...: resolve.h) into
 * id_out. 0, or the error printed and its exit code (2 when ambiguous). */
int cli_resolve(cli_ctx *c, cts_node *n, cts_ref_kind kind, const char *ref, unsigned flags,
                char id_out[37]);

/* Print a JSON value (indented, UTF-8) on stdout followed by "\n". */
void cli_print_json(const json_t *v);

/* Listings: one row of cells per record, read as French (labels, dates
 * DD/MM/YYYY, 8-character ids), printed in columns aligned by display
 * width, or as the French-Excel CSV of the reports (--format csv; full
 * ids), or as the JSON array of the library (--json: codes, ISO dates). */
#define CLI_MAX_COLS 12
#define CLI_CELL 512
typedef char cli_cells[CLI_MAX_COLS][CLI_CELL];

typedef struct {
	const char *help;
	const char *table; /* the records listed (cts_change_list) */
	int (*list_removed)(cts_node *n, const char *territory,
	                    json_t **out); /* --removed; may be NULL */
	const char *const *headers;        /* French column headers */
	size_t ncols;
	/* Fill the cells of one row; full: whole ids (CSV). */
	void (*cells)(const json_t *row, cli_cells out, int full);
	const char *noun; /* "réunion(s)" */
} cli_listing;

/* A listing command: parses --territory (default: the node's own
 * territory on a territory node, all on the regional node), --format
 * texte|csv|json and --removed when the listing has it, calls the list
 * function and prints. Returns the exit code. */
int cli_list(cli_ctx *c, int argc, char **argv, const cli_listing *l);

/* Print rows (a JSON array of the library) as the listing says: JSON with
 * c->json, CSV when csv, else aligned columns and "<count> <noun>."; a
 * first column "Territoire" with c->all_territories. */
void cli_print_rows(cli_ctx *c, const json_t *rows, const cli_listing *l, int csv);

/* Parse a --format value of a listing: 0 text, 1 csv (2 json sets c->json);
 * -1 after printing a usage error. */
int cli_list_format(cli_ctx *c, const char *format);

/* Cell helpers: the label of a code (the code itself when unknown, "" for
 * none); a date as DD/MM/YYYY; an id cut to 8 characters unless full. */
void cli_cell_code(char *cell, const char *const *codes, const char *const *labels,
                   const char *code);
void cli_cell_date(char *cell, const char *iso);
void cli_cell_id(char *cell, const char *id, int full);

/* A command's arguments: its options (NULL: none), its help, and its one
 * positional argument when pos_missing is set (the usage message when it
 * is missing); check, when set, looks at them before the node is opened
 * (0, or the exit code with its message printed). */
typedef struct {
	const cli_opt *opts;
	const char *help;
	const char *pos_missing;
	int (*check)(cli_ctx *c, const char *pos, void *arg);
} cli_spec;

/* A command's work on the open node (pos: its positional argument or
 * NULL): 0, a negative cts_error code (printed by cli_run and mapped to
 * its exit code), or a positive exit code, its output printed. */
typedef int (*cli_body)(cli_ctx *c, cts_node *n, const char *pos, void *arg);

/* The common command: parse argv as s says, open the node of --home,
 * run body, close the node. Returns the exit code. */
int cli_run(cli_ctx *c, int argc, char **argv, const cli_spec *s, cli_body body, void *arg);

/* cli_run for a command without options or argument: its help, its body
 * (arg NULL). Returns the exit code. */
int cli_run_plain(cli_ctx *c, int argc, char **argv, const char *help, cli_body body);

/* cli_run once the arguments are parsed (commands with their own parsing). */
int cli_run_on_node(cli_ctx *c, const char *pos, cli_body body, void *arg);

/* A command's result: o printed as JSON with --json (nothing when o is
 * NULL), else the French text fmt (nothing when fmt is NULL). Takes o. */
void cli_result(cli_ctx *c, json_t *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The record a correction command names: its kind and resolve flags
 * (resolve.h), and the usage message when it is missing. */
typedef struct {
	cts_ref_kind kind;
	unsigned flags;
	const char *missing;
	const char *table; /* opinion, contribution: withdraw and restore's table */
} cli_record;

/* A correction command: RECORD [options] (opts, help), the record resolved
 * as r says, fn(n, id, arg, &change) on it and its French line printed
 * (with --json: {"id", "changed", "message"}). Returns the exit code. */
typedef int (*cli_change_fn)(cts_node *n, const char *id, void *arg, cts_change *out);
int cli_change(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help,
               const cli_record *r, cli_change_fn fn, void *arg);

/* A correction that takes nothing but the record (approve, cancel...). */
typedef int (*cli_record_op)(cts_node *n, const char *id, cts_change *out);

/* A record's field as an option of its add and update commands: the option
 * name, its kind, its place in the record's fields struct, and whether add
 * requires it (update never does). */
typedef struct {
	const char *name;
	cli_opt_kind kind;
	size_t offset;
	int add_required;
} cli_field;
#define CLI_FIELD(type, name, kind, member, add_required)                                          \
	{                                                                                          \
		name, kind, offsetof(type, member), add_required                                   \
	}
/* The fields of a record kind as options: fields (ended by a NULL name, at
 * most CLI_FORM_FIELDS), the size of the kind's fields struct (at most
 * CLI_FORM_SIZE) and its initial value (NULL: zeroed). Borrowed, static. */
#define CLI_FORM_FIELDS 16
#define CLI_FORM_SIZE 256
typedef struct cli_form_spec {
	const cli_field *fields;
	size_t size;
	const void *init;
} cli_form_spec;
/* A command of a table (cli_dispatch): its name, its one-line French summary
 * and what it is, one of:
 *   run      a command with its own parsing;
 *   sub      a group: its sub-command table (NULL-terminated), dispatched in turn;
 *   listing  a listing (cli_list);
 *   form     a record's add (help, body) or update (help, record, change):
 *            its fields as options (cli_form);
 *   op       a correction that takes nothing but the record (cli_change_op with
 *            help and record);
 *   withdraw CLI_WITHDRAW or CLI_RESTORE: the same with cts_change_withdraw
 *            on record->table;
 *   body     a command without options or argument (cli_run_plain with help). */
typedef struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(cli_ctx *c, int argc, char **argv);
	const struct cli_cmd *sub;
	const cli_listing *listing;
	const struct cli_form_spec *form;
	const char *help;
	const cli_record *record;
	cli_record_op op;
	enum { CLI_WITHDRAW = 1, CLI_RESTORE } withdraw;
	cli_change_fn change;
	cli_body body;
} cli_cmd;

/* The correction command k describes (op or withdraw, with help and
 * record): the record resolved and corrected (cli_change). */
int cli_change_op(cli_ctx *c, int argc, char **argv, const struct cli_cmd *k);

/* The add or update command k describes (update when k->record is set):
 * the options of k->form bound to a fields struct of the record's kind
 * (initialised from k->form->init, or zeroed); add runs k->body with it as
 * its arg; update resolves the record and calls k->change with it
 * (cli_change). Returns the exit code. */
int cli_form(cli_ctx *c, int argc, char **argv, const cli_cmd *k);

/* Dispatch argv[0] among cmds (a table ended by a NULL name); group names
 * them in the usage message. Returns the exit code. */
int cli_dispatch(cli_ctx *c, const char *group, const cli_cmd *cmds, int argc, char **argv);

/* o[key] as a string, "" when absent or not a string (for printing). */
const char *cli_str(const json_t *o, const char *key);

/* Exit code for a library error code. */
int cli_exit_code(int rc);

/* The command groups: their sub-command tables. */
extern const cli_cmd cmd_region_cmds[];
extern const cli_cmd cmd_key_cmds[];
extern const cli_cmd cmd_member_cmds[];
extern const cli_cmd cmd_meeting_cmds[];
extern const cli_cmd cmd_attendance_cmds[];
extern const cli_cmd cmd_opinion_cmds[];
extern const cli_cmd cmd_contribution_cmds[];
extern const cli_cmd cmd_remote_cmds[];

/* The other commands. */
int cmd_init(cli_ctx *c, int argc, char **argv);
int cmd_status(cli_ctx *c, int argc, char **argv);
int cmd_region_init(cli_ctx *c, int argc, char **argv);
int cmd_seal(cli_ctx *c, int argc, char **argv);
int cmd_import(cli_ctx *c, int argc, char **argv);
int cmd_rebuild(cli_ctx *c, int argc, char **argv);
int cmd_conflicts(cli_ctx *c, int argc, char **argv);
int cmd_sync(cli_ctx *c, int argc, char **argv);
int cmd_region_pull(cli_ctx *c, int argc, char **argv);
int cmd_report(cli_ctx *c, int argc, char **argv);
int cmd_region_publish(cli_ctx *c, int argc, char **argv);
int cmd_audit(cli_ctx *c, int argc, char **argv);
int cmd_ui(cli_ctx *c, int argc, char **argv);
int cmd_export(cli_ctx *c, int argc, char **argv);

/* An import's outcome in French (nothing with --json); 1 when one of
 * its events (a JSON array of the importer) is a refusal. */
int cli_print_import(cli_ctx *c, const cts_import_stats *st);
int cli_has_refusal(const json_t *events);

/* Progress on stderr when it is a terminal (long imports). */
void cli_progress(size_t done, size_t total, void *ctx);
int cli_progress_wanted(void);

/* Load the node key, asking for the passphrase if it is encrypted.
 * Returns 0 or an exit code (error printed). *out: cts_key_free. */
struct cts_key;
int cli_load_key(cli_ctx *c, cts_node *n, struct cts_key **out);
/* Seal pending operations (no-op when none). 0 or an exit code. */
int cli_seal(cli_ctx *c, cts_node *n, int *sealed);

#endif
