// A person says which table a dataset is (or, with a null table, that it is none yet).
MATCH (d:OpenLineageDataset {id: $id})
SET d.table_id = $table_id, d.mapped_by = $actor, d.mapped_at = datetime()
RETURN d {.id, .key, .namespace, .name, .table_id, .mapped_by, .mapped_at, .jobs, .fields,
          .first_seen, .last_seen} AS dataset
