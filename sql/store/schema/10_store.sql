-- Metadata of datasets and stored results. Executed at every Open: idempotent.
CREATE SCHEMA IF NOT EXISTS mrswarm;
CREATE SCHEMA IF NOT EXISTS results;

CREATE TABLE IF NOT EXISTS mrswarm.datasets (
    name        VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    row_count   BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    columns     VARCHAR NOT NULL, -- JSON [{"Name","Type","Role"}]
    roles       VARCHAR NOT NULL, -- JSON {"role":"column"}
    loaded_at   TIMESTAMP NOT NULL,
    load_ns     BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    src_path    VARCHAR NOT NULL, -- resolved path of the loaded file ('' for uploads)
    src_size    BIGINT NOT NULL,
    src_mtime   BIGINT NOT NULL   -- unix nanoseconds
);

CREATE TABLE IF NOT EXISTS mrswarm.results (
    handle     VARCHAR PRIMARY KEY,
    source     VARCHAR NOT NULL,
    dataset    VARCHAR NOT NULL,
    row_count  BIGINT NOT NULL,
    columns    VARCHAR NOT NULL, -- JSON [{"Name","Type","Role"}]
    head       VARCHAR USING COMPRESSION zstd NOT NULL, -- JSON [[...]]
    stats      VARCHAR USING COMPRESSION zstd NOT NULL, -- JSON [{"Column",...}]
    text       VARCHAR USING COMPRESSION zstd NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Retention: an estimate of each result's size, when it was last read, whether
-- the user pinned it; and the handles evicted, so a late fetch can say so.
ALTER TABLE mrswarm.results ADD COLUMN IF NOT EXISTS bytes BIGINT DEFAULT 0;
ALTER TABLE mrswarm.results ADD COLUMN IF NOT EXISTS last_used TIMESTAMP;
ALTER TABLE mrswarm.results ADD COLUMN IF NOT EXISTS pinned BOOLEAN DEFAULT false;
CREATE TABLE IF NOT EXISTS mrswarm.evicted (
    handle     VARCHAR PRIMARY KEY,
    evicted_at TIMESTAMP NOT NULL
);
