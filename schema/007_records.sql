-- ctsnode node database, version 7.
-- Records a secretary can correct (docs/FORMAT.md, "Corrections"):
-- * meeting.reopen_reason: why approved minutes were reopened (the last
--   reopening; the history keeps every one);
-- * opinion.status, contribution.status: withdrawn (retire / retiree) or
--   not (rendu / transmise, or no value): withdrawn records stay, listed,
--   out of the reports' counts;
-- * contribution.date: the day the contribution was received, which dates
--   it in the reports before its meeting's date.
ALTER TABLE meeting ADD COLUMN reopen_reason TEXT;
ALTER TABLE opinion ADD COLUMN status TEXT;
ALTER TABLE contribution ADD COLUMN date TEXT;
ALTER TABLE contribution ADD COLUMN status TEXT;
-- Contributions of a territory by received date (reports).
CREATE INDEX contribution_date ON contribution(territory, date);
