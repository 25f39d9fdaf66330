MATCH (f:Field {id: $id})
OPTIONAL MATCH (f)-[r:FLOWS_TO]-()
WITH f, f {.*} AS field, collect(DISTINCT r.id) AS lineage_ids
DETACH DELETE f
RETURN field, lineage_ids
