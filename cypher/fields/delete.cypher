// Deletes a field and its lineage; returns the (upstream, downstream) table pairs those edges
// ran between, so implied table edges can be brought up to date.
MATCH (f:Field {id: $id})
OPTIONAL MATCH (f)-[r:FLOWS_TO]-(other:Field)
WITH f, f {.*} AS field, collect(DISTINCT r.id) AS lineage_ids,
     collect(DISTINCT CASE WHEN startNode(r) = f THEN [f.table_id, other.table_id]
                           ELSE [other.table_id, f.table_id] END) AS pairs
DETACH DELETE f
RETURN field, lineage_ids, pairs
