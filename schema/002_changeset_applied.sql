-- ctsnode node database, version 2.
-- The order number of the next applied changeset is max(applied) + 1,
-- found through this index (it was count(*), a scan of the whole table
-- for every changeset imported).
CREATE INDEX changeset_applied ON changeset(applied);
