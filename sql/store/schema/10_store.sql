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
    head       VARCHAR NOT NULL, -- JSON [[...]]
    stats      VARCHAR NOT NULL, -- JSON [{"Column",...}]
    text       VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
