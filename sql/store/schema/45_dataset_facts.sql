-- Facts derived from a dataset's content (a caller's filter values, profile
-- aggregates) by content fingerprint, so that they are computed once per
-- content rather than once per process. A load that replaces the dataset and
-- dropping it remove its facts.
CREATE TABLE IF NOT EXISTS mrswarm.dataset_facts (
    tenant      VARCHAR NOT NULL,
    dataset     VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    value       VARCHAR NOT NULL
);
