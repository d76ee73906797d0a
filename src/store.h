/*
 * The node's SQLite database: opening, migrations, transactions, small
 * key/value state (`meta`) and the node's hybrid logical clock.
 */
#ifndef CTS_STORE_H
#define CTS_STORE_H

#include "hlc.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

typedef struct cts_store cts_store;

struct cts_store {
	sqlite3 *db;
	cts_clock_fn clock; /* wall clock, injectable (tests) */
	void *clock_ctx;
	int depth;    /* transaction nesting (savepoints inside) */
	int readonly; /* opened with cts_store_open_readonly() */
	int full;     /* SQLite reported a full disk (cts_store_error) */
	struct cts_stmt_cache *cache;
};

/* Open (create = 1: create if missing) the database at `path`, apply the
 * embedded migrations, set WAL, foreign keys and the busy timeout.
 * A database written by a newer schema is refused with CTS_EVERSION.
 * *out is released with cts_store_free(). */
int cts_store_open(cts_store **out, const char *path, int create);
void cts_store_free(cts_store *st);

/* Open an existing database without writing anything (an archived home,
 * a read-only medium): no migration (the schema must be this build's),
 * no lock, and no -shm file when no -wal file holds pending transactions
 * (SQLite's "immutable" mode). Every write then fails with CTS_EIO and
 * CTS_STORE_READ_ONLY in the message. *out: cts_store_free(). */
int cts_store_open_readonly(cts_store **out, const char *path);

/* Check the database file at path without changing it: 0 if SQLite opens
 * it, PRAGMA quick_check says "ok" and every key of meta_keys (NULL-ended
 * list, may be NULL) has a non-empty value in `meta`; CTS_EDB (message
 * "base ... endommagée (why)") if it is damaged: not a database,
 * malformed, failed check, missing table or keys; other codes (CTS_EIO,
 * CTS_EBUSY, CTS_ENOMEM) when it could not be checked. */
int cts_store_probe(const char *path, const char *const *meta_keys);

/* One integer read from the database file at path by a read-only query
 * (e.g. a count), or -1 if it cannot be read: to salvage a figure from a
 * damaged database. */
int64_t cts_store_peek_int(const char *path, const char *sql);

/* Message fragments (French) shared by every layer that reports these
 * conditions. */
#define CTS_STORE_DISK_FULL                                                                        \
	"disque plein : libérez de la place sur le disque, puis relancez la commande"
#define CTS_STORE_READ_ONLY                                                                        \
	"le dossier du nœud est en lecture seule (copie archivée, support protégé) : il peut " \
	"être consulté "                                                                         \
	"(status, listes, report) mais pas modifié"
#define CTS_STORE_DAMAGED                                                                          \
	"la base du nœud est endommagée : reconstruisez-la depuis l'historique signé avec « "  \
	"ctsnode rebuild » "                                                                      \
	"(l'ancienne base est mise de côté, jamais effacée)"

/* Highest schema version this build knows. */
int cts_store_schema_version(void);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE);
 * nested calls use savepoints. rollback undoes the innermost level. */
int cts_store_begin(cts_store *st);
int cts_store_commit(cts_store *st);
void cts_store_rollback(cts_store *st);

/* A prepared statement for `sql`, cached for the life of the store,
 * reset and with its bindings cleared. Borrowed: do not finalize. */
int cts_store_stmt(cts_store *st, sqlite3_stmt **out, const char *sql);

/* cts_store_stmt for a statement about one changeset: ?1 is bound to
 * `node` (borrowed: it must outlive the statement's use) and ?2 to `seq`. */
int cts_store_stmt_cs(cts_store *st, sqlite3_stmt **out, const char *sql, const char *node,
                      int64_t seq);

/* Numbered statement slots, for statements whose text is built at run
 * time (per table): cheaper than looking the text up. With the slot
 * empty, sql == NULL returns 1 (the caller builds the text and calls
 * again), otherwise `sql` is prepared into the slot. Slots are assigned
 * by their users (see CTS_SLOT_* below). Borrowed, reset, bindings
 * cleared, as cts_store_stmt. */
#define CTS_STMT_SLOTS 64
#define CTS_SLOT_RECORD 0 /* src/record.c: 0 .. 63 */
int cts_store_stmt_slot(cts_store *st, unsigned slot, sqlite3_stmt **out, const char *sql);

/* cts_store_stmt, then the texts args[0 .. nargs) bound to ?1 .. ?nargs (a
 * NULL text is left unbound: NULL). */
int cts_store_stmt_args(cts_store *st, sqlite3_stmt **out, const char *sql, const char *const *args,
                        int nargs);

/* Run SQL without results (may hold several statements). */
int cts_store_exec(cts_store *st, const char *sql);

/* Record the current SQLite error as a cts error: "<what> : <sqlite msg>". */
int cts_store_error(cts_store *st, const char *what);

/* Step a bound statement that returns no row (INSERT, UPDATE, DELETE) and
 * reset it: 0, or the SQLite error as "<what> : <sqlite msg>". */
int cts_store_done(cts_store *st, sqlite3_stmt *s, const char *what);

/* A value bound by cts_store_run_cs: a text (-1 length, NULL binds NULL),
 * a blob (p, len) or an integer; texts and blobs are bound static. */
typedef struct {
	enum { CTS_VAL_TEXT, CTS_VAL_BLOB, CTS_VAL_INT } kind;
	const void *p;
	size_t len;
	int64_t i;
} cts_store_val;
#define CTS_VTEXT(s) ((cts_store_val){ CTS_VAL_TEXT, (s), 0, 0 })
#define CTS_VBLOB(p, n) ((cts_store_val){ CTS_VAL_BLOB, (p), (n), 0 })
#define CTS_VINT(v) ((cts_store_val){ CTS_VAL_INT, NULL, 0, (int64_t)(v) })

/* A statement about one changeset that returns no row: cts_store_stmt_cs,
 * vals[0 .. nvals) bound to ?3 .., then cts_store_done with `what`. */
int cts_store_run_cs(cts_store *st, const char *sql, const char *node, int64_t seq,
                     const cts_store_val *vals, int nvals, const char *what);

/* A query about one changeset (cts_store_stmt_cs) stepped once: *out is the
 * first column of its row as an integer (0 without a row). 0, or the
 * SQLite error as "<what> : <sqlite msg>". */
int cts_store_int_cs(cts_store *st, const char *sql, const char *node, int64_t seq, int64_t *out,
                     const char *what);

/* Bind JSON value v to parameter i of s: a string as text (bound static:
 * v must outlive the statement's next step), an integer, true and false as
 * 1 and 0, anything else as NULL. */
void cts_store_bind_json(sqlite3_stmt *s, int i, const json_t *v);

/* Step a bound statement to the end and collect the rows as a new JSON
 * array of objects keyed by column name (text, integer or null). */
int cts_store_rows_json(cts_store *st, sqlite3_stmt *s, json_t **out);

/* The same for a query prepared here, its parameters ?1 .. ?nargs bound to
 * the texts args[0 .. nargs) (a NULL text binds NULL: for listings "?1 IS
 * NULL OR territory = ?1", NULL lists every territory). */
int cts_store_rows_args(cts_store *st, const char *sql, const char *const *args, int nargs,
                        json_t **out);

/* cts_store_rows_args with the one parameter ?1. */
int cts_store_rows_of(cts_store *st, const char *sql, const char *arg, json_t **out);

/* meta key/value. get: *out malloc'd, CTS_ENOTFOUND if absent. */
int cts_store_meta_get(cts_store *st, const char *key, char **out);
int cts_store_meta_set(cts_store *st, const char *key, const char *value);
int cts_store_meta_get_int(cts_store *st, const char *key, int64_t *out, int64_t dflt);
int cts_store_meta_set_int(cts_store *st, const char *key, int64_t value);

/* Next local HLC, persisted (call inside a transaction). */
int cts_store_hlc_next(cts_store *st, uint64_t *out);
/* Advance the clock past a received HLC (inside a transaction). */
int cts_store_hlc_observe(cts_store *st, uint64_t remote);

#endif
