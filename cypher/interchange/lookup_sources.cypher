// Sources by id and by name, for the import's planner. Only the columns the format carries.
UNWIND $ids AS id
MATCH (s:Source {id: id})
RETURN s {.id, .name, .type, .description, .active, .created_at, .updated_at} AS source
UNION
UNWIND $names AS name
MATCH (s:Source {name: name})
RETURN s {.id, .name, .type, .description, .active, .created_at, .updated_at} AS source
