-- ctsnode node database, version 4.
-- Incidents: evidence this node observed that is not an ordinary refused
-- changeset (those stay in `inbox`): a rewritten branch, an oversized
-- changeset, a fork, a truncated branch seen by a witness, a commit by
-- another node on a branch, an unsigned commit, a file under another
-- node's folder, ... One row per distinct observation; seeing it again
-- bumps `count` and `last_seen`. Incidents are local observations, not
-- part of the signed history: `rebuild` keeps them.
CREATE TABLE incident (
	id         INTEGER PRIMARY KEY,
	kind       TEXT NOT NULL,
	node       TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	detail     TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	count      INTEGER NOT NULL DEFAULT 1,
	UNIQUE (kind, node, seq, detail)
);
