-- Proof of consent: one row per decision, nothing about the visitor.
CREATE TABLE IF NOT EXISTS consent_receipts (
    consent_id TEXT PRIMARY KEY,
    decided_at BIGINT NOT NULL,
    policy_revision BIGINT NOT NULL,
    policy_fingerprint TEXT NOT NULL,
    choices TEXT NOT NULL,
    method TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS consent_receipts_decided_at ON consent_receipts (decided_at);
CREATE INDEX IF NOT EXISTS consent_receipts_revision ON consent_receipts (policy_revision, decided_at);
