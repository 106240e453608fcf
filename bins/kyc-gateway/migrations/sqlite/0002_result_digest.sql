ALTER TABLE sessions ADD COLUMN result_digest TEXT;
