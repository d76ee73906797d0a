-- ctsnode node database, version 5.
-- Forks (SPEC §6, docs/FORMAT.md "Forks").
--
-- `fork`: the materialised replicated table of fork evidence. Any node
-- (territory or authority) writes it, in its own territory, when it holds
-- two different signed versions of one (node, seq): the record carries
-- both versions (their ids and signatures, and their bodies when they fit
-- in a changeset), so that every importer and the audit learn of the fork
-- even after one version is gone from the repository.
CREATE TABLE fork (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	node      TEXT,
	seq       INTEGER,
	id_a      TEXT,
	id_b      TEXT,
	sig_a     TEXT,
	sig_b     TEXT,
	body_a    TEXT,
	body_b    TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;
CREATE INDEX fork_target ON fork(node, seq);

-- `fork_known`: the forks this node has proven (two versions of one
-- (node, seq), each verified with the node's key), with both versions,
-- whoever brought them. Every changeset of that node from `seq` on is
-- refused. Derived from changesets the node holds (inbox, history), so it
-- is kept by `rebuild` like the inbox is: a replay finds the same forks.
CREATE TABLE fork_known (
	node       TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	id_a       TEXT NOT NULL,
	id_b       TEXT NOT NULL,
	body_a     BLOB NOT NULL,
	sig_a      BLOB NOT NULL,
	body_b     BLOB NOT NULL,
	sig_b      BLOB NOT NULL,
	first_seen TEXT NOT NULL,
	PRIMARY KEY (node, seq)
) WITHOUT ROWID;
