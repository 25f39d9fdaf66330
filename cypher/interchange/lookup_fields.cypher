// Fields by id and by natural key (table_id, name), for the import's planner.
UNWIND $ids AS id
MATCH (f:Field {id: id})
RETURN f {.id, .table_id, .name, .data_type, .nullable, .primary_key, .ordinal_position,
          .description, .tags, .created_at, .updated_at} AS field
UNION
UNWIND $keys AS key
MATCH (f:Field {table_id: key.table_id, name: key.name})
RETURN f {.id, .table_id, .name, .data_type, .nullable, .primary_key, .ordinal_position,
          .description, .tags, .created_at, .updated_at} AS field
