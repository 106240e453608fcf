-- A chip result being decided holds its session (ms since the epoch; NULL: none).
ALTER TABLE sessions ADD COLUMN processing_since INTEGER;
