// Names of catalog tables, for "Did you mean ...?" when a SQL text names a table Clew lacks.
MATCH (t:Table)
WHERE $source_key IS NULL OR t.source_key = $source_key
RETURN t.id AS id, t.schema AS schema, t.name AS name
LIMIT $limit
