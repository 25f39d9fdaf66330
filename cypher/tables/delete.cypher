// Deletes a table, its fields and every lineage edge touching either; reports what went.
MATCH (t:Table {id: $id})
OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
WITH t, collect(f) AS fields
CALL (t, fields) {
  UNWIND [t] + fields AS n
  OPTIONAL MATCH (n)-[r:FLOWS_TO]-()
  RETURN collect(DISTINCT r.id) AS lineage_ids
}
WITH t, fields, lineage_ids, t {.*} AS table, [f IN fields | f.id] AS field_ids
FOREACH (f IN fields | DETACH DELETE f)
DETACH DELETE t
RETURN table, field_ids, lineage_ids
