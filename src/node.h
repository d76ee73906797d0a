/*
 * A node home: where it is, what it holds (database, key, changeset
 * files, local git clone), creation (`init`, `region init`) and opening.
 *
 *   HOME/node.db                     SQLite view + journal (store.h)
 *   HOME/node.key                    Ed25519 key, encrypted at rest (key.h)
 *   (the signed history is in node.db, src/history.h; earlier versions kept
 *   it as files HOME/changesets/<node>/<seq>.json[.sig], moved in at open)
 *   HOME/repo.git                    bare clone of the regional repository
 *   HOME/git-token                   token of an HTTPS regional repository (0600,
 *                                    optional; sync/gitnet.h)
 */
#ifndef CTS_NODE_H
#define CTS_NODE_H

#include "file.h" /* cts_write_file_atomic, cts_write_file_replace */
#include "store.h"

typedef enum { CTS_ROLE_TERRITORY = 0, CTS_ROLE_AUTHORITY = 1 } cts_role;

typedef struct {
	char *home;
	cts_store *store;
	char *id;        /* node id */
	char *territory; /* territory code (region code for the authority) */
	cts_role role;
	char *authority_key; /* pinned "ssh-ed25519 AAAA..." of the authority */
	char *remote;        /* regional repository URL, may be NULL */
	int lock_fd;         /* HOME/lock, held for the life of the node (-1: none) */
	char *notice;        /* French note for the user from the opening, or NULL */
} cts_node;

typedef struct {
	const char *node_id;
	const char *territory; /* territory code, or region code */
	cts_role role;
	const char *authority_key; /* territory nodes: the pinned key line */
	const char *remote;        /* optional */
	const char *passphrase;    /* NULL: unencrypted key (demos, tests) */
} cts_node_params;

/* The home directory: `flag` if given, else $CTSNODE_HOME, else
 * $XDG_DATA_HOME/ctsnode, else ~/.local/share/ctsnode. *out malloc'd. */
int cts_node_home_resolve(char **out, const char *flag);

/* Create a node in `home` (created 0700 if missing; refused if it already
 * holds a node). The authority also seeds its registry entry and the
 * built-in themes as its first pending operations. *out: cts_node_free. */
int cts_node_create(cts_node **out, const char *home, const cts_node_params *p);

/* Open an existing node. CTS_ENOTFOUND with a hint when there is none.
 * A writable home of an earlier version has its history files moved into
 * the database (cts_history_migrate; what could not be moved: n->notice).
 * The node is locked (HOME/lock, flock) so that two ctsnode processes
 * never work on one home at once: a second one waits up to wait_ms, then
 * fails with CTS_EBUSY and a clear message. */
int cts_node_open(cts_node **out, const char *home);
int cts_node_open_wait(cts_node **out, const char *home, int wait_ms);
void cts_node_free(cts_node *n);

/* Rebuilding a lost or damaged database (sync/recover.h):
 * - cts_node_lock_home: a handle holding only the home's lock (store and
 *   identity unset), refused on a home this process cannot write;
 * - cts_node_set_aside_db: rename node.db, node.db-wal and node.db-shm
 *   (those present) to node.db.damaged-<UTC time>[-k][-wal|-shm], never
 *   deleting anything; *moved_to (malloc'd) is the new name of node.db's
 *   group, NULL when there was nothing to move;
 * - cts_node_restore: create node.db (none may exist) with the identity p
 *   (passphrase unused) and the node's public key line, and load it. */
int cts_node_lock_home(cts_node **out, const char *home, int wait_ms);
int cts_node_set_aside_db(cts_node *n, char **moved_to);
int cts_node_restore(cts_node *n, const cts_node_params *p, const char *public_key_line);

/* A node folder copied to another machine (src/machine.c). The machine
 * is identified by the file $CTSNODE_MACHINE_ID_FILE names (a test and
 * diagnostic hook), else /etc/machine-id, else /var/lib/dbus/machine-id,
 * else the host name (none of them: not checked); meta "machine" keeps its
 * SHA-256. Only the machine counts, not where the folder is on it: a folder
 * moved, restored from a backup or copied on the same machine is accepted.
 * - cts_node_machine_record: this machine is the node's (init, a rebuilt
 *   database, init --adopt);
 * - cts_node_machine_check: before anything is sealed or sent. A folder
 *   that never recorded one (an earlier version) adopts this machine; a
 *   different machine is CTS_EACCESS with the procedure to follow. */
int cts_node_machine_record(cts_node *n);
int cts_node_machine_check(cts_node *n);

/* home + "/" + rel, malloc'd (NULL on allocation failure). */
char *cts_node_path(const cts_node *n, const char *rel);

/* A copy of a node's identity, for a holder that outlives the open node
 * (the web interface reads it once at start): id, territory, remote
 * (NULL when none) and the public key line "ssh-ed25519 AAAA... <id>". */
typedef struct {
	char *id, *territory, *remote, *public_key;
} cts_node_identity;

/* Fill *out (released with cts_node_identity_dispose(), even on an error). */
int cts_node_identity_read(cts_node *n, cts_node_identity *out);
void cts_node_identity_dispose(cts_node_identity *ident);

/* Change the remote URL (meta). */
int cts_node_set_remote(cts_node *n, const char *url);

/* The proxy setting remembered for the remote (meta "proxy"): *out is
 * NULL when none was given (the environment's proxy applies), else
 * "direct", "auto" or a URL (sync/gitnet.h); malloc'd. */
int cts_node_proxy(cts_node *n, char **out);
/* Remember it (checked by the caller with cts_gitnet_proxy_check()). */
int cts_node_set_proxy(cts_node *n, const char *proxy);

/* Correct the authority key pinned at `init` (a wrong key given then):
 * allowed on a territory node only while nothing was accepted from an
 * authority (its registry holds no authority). `line` "ssh-ed25519 AAAA...". */
int cts_node_set_authority_key(cts_node *n, const char *line);

/* mkdir -p with mode 0700. */
int cts_mkdirs(const char *path);

/* Read a whole regular file (no symlink), at most max bytes. *data malloc'd
 * and NUL-terminated; CTS_ENOTFOUND if absent, CTS_ELIMIT if larger. */
int cts_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
