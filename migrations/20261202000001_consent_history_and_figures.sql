-- Consent history: the decision a receipt replaces (the visitor's earlier valid one), or ''.
ALTER TABLE consent_receipts ADD COLUMN replaces TEXT NOT NULL DEFAULT '';

-- The figures of `leadistry stats`, kept per UTC day (Unix seconds / 86400) as each receipt is
-- written, in its transaction: counts only, nothing about any visitor. Kept after a prune.
-- A day's figure is spread over a few slots (by consent id) so that concurrent saves do not
-- all wait for one row's lock; readers add the slots up.
CREATE TABLE IF NOT EXISTS consent_daily (
    day BIGINT NOT NULL,
    policy_revision BIGINT NOT NULL,
    method TEXT NOT NULL,
    analytics BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    decisions BIGINT NOT NULL,
    withdrawn BIGINT NOT NULL,
    regranted BIGINT NOT NULL,
    PRIMARY KEY (day, policy_revision, method, analytics, slot)
);

INSERT INTO consent_daily
    (day, policy_revision, method, analytics, slot, decisions, withdrawn, regranted)
SELECT decided_at / 86400, policy_revision, method,
       CASE WHEN choices LIKE '%"analytics":"granted"%' THEN 1 ELSE 0 END, 0, COUNT(*), 0, 0
FROM consent_receipts
GROUP BY 1, 2, 3, 4;

-- What receipts cannot show (pages with the banner, pages where GPC decided, saves refused),
-- per UTC day, revision and name; each instance adds what it counted.
CREATE TABLE IF NOT EXISTS consent_counters (
    day BIGINT NOT NULL,
    policy_revision BIGINT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (day, policy_revision, name)
);

-- One row that /readyz writes: the log takes writes.
CREATE TABLE IF NOT EXISTS consent_log_health (
    id BIGINT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
