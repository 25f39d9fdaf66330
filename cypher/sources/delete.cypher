// The source's tables stay in the catalog as manually documented tables.
MATCH (s:Source {id: $id})
OPTIONAL MATCH (s)-[:CONTAINS]->(t:Table)
WITH s, s {.*} AS source, collect(t) AS tables
FOREACH (t IN tables | SET t.source_key = 'manual', t.updated_at = datetime())
DETACH DELETE s
RETURN source, [t IN tables | t.id] AS table_ids
