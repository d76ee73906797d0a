-- ctsnode node database, version 1.
-- The SQLite file is a materialised view of the signed history plus the
-- node's own unsealed journal; `rebuild` recreates everything except `meta`
-- and the journal from the changeset files.

-- Node identity and small state (node, territory, role, region,
-- authority_key, remote, hlc).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Local writes not yet sealed into a changeset (sealed_seq IS NULL), and
-- the ones that were, with the seq that carries them.
CREATE TABLE journal (
	id         INTEGER PRIMARY KEY,
	hlc        INTEGER NOT NULL,
	op         TEXT NOT NULL CHECK (op IN ('put', 'del')),
	tbl        TEXT NOT NULL,
	rid        TEXT NOT NULL,
	set_json   TEXT,
	sealed_seq INTEGER
);
CREATE INDEX journal_pending ON journal(sealed_seq, id);

-- Accepted changesets (own and imported), in the order they were applied.
CREATE TABLE changeset (
	node      TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	id        TEXT NOT NULL UNIQUE,
	territory TEXT NOT NULL,
	prev      TEXT,
	time      TEXT NOT NULL,
	hlc_max   INTEGER NOT NULL,
	nops      INTEGER NOT NULL,
	applied   INTEGER NOT NULL,
	PRIMARY KEY (node, seq)
) WITHOUT ROWID;

-- Causal context of each accepted changeset: `seen` member.
CREATE TABLE changeset_seen (
	node  TEXT NOT NULL,
	seq   INTEGER NOT NULL,
	other TEXT NOT NULL,
	oseq  INTEGER NOT NULL,
	PRIMARY KEY (node, seq, other)
) WITHOUT ROWID;

-- Changesets received but not applied: pending (unknown signer, gap),
-- held (future HLC) or refused (bad signature, fork, unauthorised).
-- The bytes are kept so nothing is lost.
CREATE TABLE inbox (
	node     TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	id       TEXT NOT NULL,
	state    TEXT NOT NULL CHECK (state IN ('pending', 'held', 'refused')),
	reason   TEXT NOT NULL,
	body     BLOB NOT NULL,
	sig      BLOB NOT NULL,
	PRIMARY KEY (node, seq, id)
) WITHOUT ROWID;

-- Last-writer-wins state per field: the value with the greatest
-- (hlc, node) and the changeset (node, seq) that wrote it.
CREATE TABLE fstate (
	tbl       TEXT NOT NULL,
	territory TEXT NOT NULL,
	rid       TEXT NOT NULL,
	field     TEXT NOT NULL,
	value,
	hlc       INTEGER NOT NULL,
	node      TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (tbl, territory, rid, field)
) WITHOUT ROWID;

-- Record-level tombstones, ordered like puts.
CREATE TABLE tomb (
	tbl       TEXT NOT NULL,
	territory TEXT NOT NULL,
	rid       TEXT NOT NULL,
	hlc       INTEGER NOT NULL,
	node      TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (tbl, territory, rid)
) WITHOUT ROWID;

-- Concurrent writes of one field: both values kept until resolved.
CREATE TABLE conflict (
	id          INTEGER PRIMARY KEY,
	tbl         TEXT NOT NULL,
	territory   TEXT NOT NULL,
	rid         TEXT NOT NULL,
	field       TEXT NOT NULL,
	win_value,
	win_hlc     INTEGER NOT NULL,
	win_node    TEXT NOT NULL,
	win_seq     INTEGER NOT NULL,
	lose_value,
	lose_hlc    INTEGER NOT NULL,
	lose_node   TEXT NOT NULL,
	lose_seq    INTEGER NOT NULL,
	resolved_by TEXT,
	UNIQUE (tbl, territory, rid, field, lose_node, lose_seq, win_node, win_seq)
);

-- Materialised records. `territory` is the territory of the changeset
-- that wrote the record (the region code for reference data).
CREATE TABLE member (
	territory     TEXT NOT NULL,
	id            TEXT NOT NULL,
	last_name     TEXT,
	first_name    TEXT,
	organisation  TEXT,
	college       TEXT,
	seat          TEXT,
	role          TEXT,
	mandate_start TEXT,
	mandate_end   TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE meeting (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	body      TEXT,
	date      TEXT,
	title     TEXT,
	place     TEXT,
	status    TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE attendance (
	territory    TEXT NOT NULL,
	id           TEXT NOT NULL,
	meeting      TEXT,
	member       TEXT,
	last_name    TEXT,
	first_name   TEXT,
	organisation TEXT,
	college      TEXT,
	status       TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;
CREATE INDEX attendance_meeting ON attendance(territory, meeting);

CREATE TABLE opinion (
	territory     TEXT NOT NULL,
	id            TEXT NOT NULL,
	meeting       TEXT,
	subject       TEXT,
	votes_for     INTEGER,
	votes_against INTEGER,
	votes_abstain INTEGER,
	outcome       TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE contribution (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	theme     TEXT,
	title     TEXT,
	text      TEXT,
	meeting   TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

-- Reference data and registry: written by the authority only.
CREATE TABLE registry (
	territory      TEXT NOT NULL,
	id             TEXT NOT NULL,
	node           TEXT,
	territory_code TEXT,
	role           TEXT,
	key            TEXT,
	revoked_after  INTEGER,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE territory (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	code      TEXT,
	name      TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE theme (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	code      TEXT,
	label     TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;

CREATE TABLE checkpoint (
	territory TEXT NOT NULL,
	id        TEXT NOT NULL,
	node      TEXT,
	seq       INTEGER,
	changeset TEXT,
	PRIMARY KEY (territory, id)
) WITHOUT ROWID;
