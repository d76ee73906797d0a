-- ctsnode node database, version 8.
-- The replicated last-writer-wins state: one row per record instead of
-- one fstate row per field and one tomb row per tombstone. `st` holds
-- every field's state as compact JSON {"field":[value,hlc,node,seq],...},
-- keys in byte order (json_each yields them sorted); values are JSON
-- strings, integers (booleans as 0/1) or null, which json_extract and ->>
-- give back as the TEXT, INTEGER and NULL fstate held. The tombstone is in
-- tomb_* (NULL: none). The rowid follows insertion order, so a new record
-- appends its row and only its small (tbl, territory, rid) index entry
-- lands at a random place.
CREATE TABLE rstate (
	id        INTEGER PRIMARY KEY,
	tbl       TEXT NOT NULL,
	territory TEXT NOT NULL,
	rid       TEXT NOT NULL,
	st        TEXT NOT NULL,
	tomb_hlc  INTEGER,
	tomb_node TEXT,
	tomb_seq  INTEGER,
	UNIQUE (tbl, territory, rid)
);
-- Fields in order within each record: the ordered subquery feeds the
-- aggregate in that order.
INSERT INTO rstate (tbl, territory, rid, st)
SELECT tbl, territory, rid, json_group_object(field, json_array(value, hlc, node, seq))
FROM (SELECT * FROM fstate ORDER BY tbl, territory, rid, field)
GROUP BY tbl, territory, rid
ORDER BY tbl, territory, rid;
INSERT INTO rstate (tbl, territory, rid, st, tomb_hlc, tomb_node, tomb_seq)
SELECT tbl, territory, rid, '{}', hlc, node, seq FROM tomb WHERE 1
ON CONFLICT (tbl, territory, rid) DO UPDATE SET tomb_hlc = excluded.tomb_hlc,
	tomb_node = excluded.tomb_node, tomb_seq = excluded.tomb_seq;
DROP TABLE fstate;
DROP TABLE tomb;
