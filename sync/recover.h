/*
 * Rebuilding a node whose database (HOME/node.db) is lost or damaged,
 * from what is signed and still on the machine: the public half of
 * HOME/node.key, the clone HOME/repo.git (its node branches, local and
 * remote-tracking) and, in a home of an earlier version not yet opened by
 * this one, the history files HOME/changesets/. (The signed history of
 * this version is in node.db itself: when the database is lost, it is
 * rebuilt from repo.git.)
 *
 * A damaged database (not a database, malformed, failed quick_check,
 * identity missing) is moved aside with its -wal and -shm files
 * (node.db.damaged-<UTC time>), never deleted. A database SQLite cannot
 * check for another reason (busy, I/O) is left alone.
 *
 * The identity comes from signed changesets, verified with the key:
 *  - node id and territory: the node whose first changeset our key signs;
 *    failing that, the authority's registry entry enrolling our key;
 *    failing that, the hints;
 *  - role: authority when our own first changeset enrols us as such;
 *  - authority: a node whose first changeset enrols itself as authority
 *    with the key that signs it. Among several, the one named in the
 *    `seen` of our last changeset, else the one that enrolled our key;
 *    the --authority-key hint settles what remains (pinned as `init`
 *    does); still ambiguous or none: refused, nothing changed;
 *  - remote: the "origin" of HOME/repo.git.
 * Our own changesets found only in HOME/repo.git are offered to the
 * importer (after their signature is checked); our chain must be
 * complete from n°1 (a gap would make the next seal fork it: refused).
 * Then every changeset found is offered to the importer and verified
 * again; last_seq is our highest seq, pushed_seq what our remote-tracking
 * branch holds.
 *
 * Operations typed but never sealed lived only in the lost database:
 * they are lost. info->unsealed_lost counts them when the damaged file
 * can still be read. Incidents (local observations) are not recovered.
 */
#ifndef CTS_RECOVER_H
#define CTS_RECOVER_H

#include "importer.h"
#include "node.h"

typedef struct {
	const char *node_id;   /* used when nothing signed names the node; must agree otherwise */
	const char *territory; /* likewise */
	const char *authority_key; /* "ssh-ed25519 AAAA...": settles the authority */
} cts_recover_hints;

typedef struct {
	int needed;             /* 0: node.db was intact, nothing was done (*out is NULL) */
	char *moved_to;         /* new name of the damaged database; NULL if node.db was missing */
	char *damage;           /* why it was judged damaged; NULL if missing */
	int64_t unsealed_lost;  /* unsealed operations in the damaged file, -1 if unknown */
	int64_t last_seq;       /* our highest changeset */
	int restored_from_repo; /* own changesets copied back from HOME/repo.git */
} cts_recover_info;

void cts_recover_info_dispose(cts_recover_info *info);

/* Rebuild the database of the node in `home` when it is missing or
 * damaged (see above). *out: the opened, locked node (cts_node_free), or
 * NULL when node.db was intact (info->needed = 0: use cts_import_rebuild).
 * st receives the import statistics. hints may be NULL. */
int cts_recover_node(cts_node **out, const char *home, const cts_recover_hints *hints,
                     cts_import_stats *st, cts_recover_info *info);

#endif
