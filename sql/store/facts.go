package store

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"maps"
	"slices"
)

// DatasetFacts returns the facts kept by [Store.PutDatasetFacts] for dataset
// name while its content fingerprint is fp, by key: none for another
// fingerprint, or after the dataset was replaced or dropped.
func (s *Store) DatasetFacts(ctx context.Context, name, fp string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM mrswarm.dataset_facts
		WHERE tenant = ? AND dataset = ? AND fingerprint = ?`, TenantOf(ctx), name, fp)
	if err != nil {
		return nil, fmt.Errorf("facts of dataset %q: %w", name, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("facts of dataset %q: %w", name, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts of dataset %q: %w", name, err)
	}
	return out, nil
}

// PutDatasetFacts keeps facts (key → value) that the caller derived from
// dataset name's content with fingerprint fp, for [Store.DatasetFacts] to
// return from now on, also after a restart. A fact must depend only on the
// content and its key: a key already kept keeps its value, and nothing is
// kept when the dataset no longer has fingerprint fp (it was replaced or
// dropped meanwhile).
func (s *Store) PutDatasetFacts(ctx context.Context, name, fp string, facts map[string]string) error {
	keys := slices.Sorted(maps.Keys(facts))
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = facts[k]
	}
	tenant := TenantOf(ctx)
	_, err := s.db.ExecContext(ctx, `INSERT INTO mrswarm.dataset_facts
		SELECT ?, ?, ?, f.key, f.value FROM (SELECT unnest(?::VARCHAR[]) AS key, unnest(?::VARCHAR[]) AS value) f
		WHERE EXISTS (SELECT 1 FROM mrswarm.datasets WHERE tenant = ? AND name = ? AND fingerprint = ?)
		AND NOT EXISTS (SELECT 1 FROM mrswarm.dataset_facts k
			WHERE k.tenant = ? AND k.dataset = ? AND k.fingerprint = ? AND k.key = f.key)`,
		tenant, name, fp, keys, values, tenant, name, fp, tenant, name, fp)
	if err != nil {
		return fmt.Errorf("keep facts of dataset %q: %w", name, err)
	}
	return nil
}

// dropFacts removes the facts of dataset name in tx (which replaces or drops it).
func dropFacts(ctx context.Context, tx *dbsql.Tx, name string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM mrswarm.dataset_facts WHERE tenant = ? AND dataset = ?`, TenantOf(ctx), name)
	return err
}
