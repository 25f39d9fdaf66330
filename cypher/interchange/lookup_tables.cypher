// Tables by id and by natural key (source_key, qualified_name), for the import's planner.
UNWIND $ids AS id
MATCH (t:Table {id: id})
RETURN t {.id, .name, .schema, .qualified_name, .kind, .description, .tags, .source_key, .created_at, .updated_at} AS table
UNION
UNWIND $keys AS key
MATCH (t:Table {source_key: key.source_key, qualified_name: key.qualified_name})
RETURN t {.id, .name, .schema, .qualified_name, .kind, .description, .tags, .source_key, .created_at, .updated_at} AS table
