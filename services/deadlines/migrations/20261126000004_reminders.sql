-- Reminders go out on working days only, at most one a day per obligation.
ALTER TABLE obligations ADD COLUMN last_reminded_on date;
