MATCH (d:OpenLineageDataset {id: $id})
RETURN d {.id, .key, .namespace, .name, .table_id, .mapped_by, .mapped_at, .jobs, .fields,
          .first_seen, .last_seen} AS dataset
