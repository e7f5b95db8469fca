-- The readiness probe writes a new token in its instance's row and reads it back on a
-- connection of its own: a log that acknowledges writes without keeping them shows.
ALTER TABLE consent_log_health ADD COLUMN token BIGINT NOT NULL DEFAULT 0;
