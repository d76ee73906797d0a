-- ctsnode node database, version 9.
-- The signed history: every accepted changeset (own or imported), its
-- exact bytes and its signature, written in the transaction that applies
-- it (src/history.c owns the table). It replaces the files
-- HOME/changesets/<node>/<seq>.json and .json.sig of earlier versions
-- (moved in at the first open, cts_history_migrate). `rebuild` keeps it
-- and recreates the state from it.
CREATE TABLE history (
  node TEXT NOT NULL,
  seq INTEGER NOT NULL,
  json BLOB NOT NULL,
  sig BLOB NOT NULL,
  PRIMARY KEY (node, seq)
) WITHOUT ROWID;
