// Datasets events named, newest first; only those that map to no table when $unmapped.
MATCH (d:OpenLineageDataset)
WHERE NOT $unmapped OR d.table_id IS NULL
RETURN d {.id, .key, .namespace, .name, .table_id, .mapped_by, .mapped_at, .jobs, .fields,
          .first_seen, .last_seen} AS dataset
ORDER BY d.last_seen DESC, d.key
SKIP $skip LIMIT $limit
