-- The policy archive: each policy document (the texts a visitor reads about cookies, as the
-- fingerprint hashes them) kept once, word for word, under its fingerprint.
CREATE TABLE IF NOT EXISTS consent_policies (
    fingerprint TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    document TEXT NOT NULL,
    first_served_at BIGINT NOT NULL
);

-- Each finished UTC day's receipts sealed: their count, the root of their Merkle tree and the
-- seal chained to the previous day's (src/receipts/merkle.rs). Set once; `pruned_at` when
-- `leadistry prune` emptied the day.
CREATE TABLE IF NOT EXISTS consent_seals (
    day BIGINT PRIMARY KEY,
    receipts BIGINT NOT NULL,
    root TEXT NOT NULL,
    seal TEXT NOT NULL,
    sealed_at BIGINT NOT NULL,
    pruned_at BIGINT
);

-- A receipt's leaf hash as written, so that `leadistry verify` can name a receipt changed
-- after the fact; empty for receipts written before it.
ALTER TABLE consent_receipts ADD COLUMN leaf TEXT NOT NULL DEFAULT '';
