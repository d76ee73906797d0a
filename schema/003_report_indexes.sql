-- ctsnode node database, version 3.
-- Indexes for reports (src/report.c), which read the period's meetings
-- and, through them, their attendance, opinions and contributions in a
-- few set-based statements per territory:
-- * the meetings of a territory in a period, by date;
-- * attendance by meeting, covering the columns the report counts
--   (member, college, status, and the names for the checks), so the rows
--   themselves are not visited;
--   it replaces attendance_meeting(territory, meeting) under the same name;
-- * opinions and contributions by meeting (contributions covering their
--   theme; those without a meeting are found as meeting IS NULL).
DROP INDEX attendance_meeting;
CREATE INDEX attendance_meeting ON attendance(territory, meeting, member, college, status, first_name, last_name);
CREATE INDEX meeting_date ON meeting(territory, date);
CREATE INDEX opinion_meeting ON opinion(territory, meeting);
CREATE INDEX contribution_meeting ON contribution(territory, meeting, theme);
