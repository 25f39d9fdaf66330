// lineageGraph in one statement: the root (a table or a field, whichever has the id), the
// breadth-first search as in traverse.cypher (a pruning BFS that visits each node once, so
// cost grows with the nodes reached, not the paths), the node cap, the frontier, the edges
// among the kept nodes, and what the graph shows of each node. FLOWS_TO joins only tables to
// tables and fields to fields, so the search needs no label. With $include_fields (a table
// root), the field edges among the kept tables and the fields at their ends come too.
OPTIONAL MATCH (table_root:Table {id: $root_id})
OPTIONAL MATCH (field_root:Field {id: $root_id})
WITH coalesce(table_root, field_root) AS root, table_root IS NOT NULL AS is_table
WHERE root IS NOT NULL
CALL (root) {
  UNWIND CASE WHEN $downstream THEN [root] ELSE [] END AS start
  MATCH p = (start)-[rs:FLOWS_TO*1..__DEPTH__]->(m)
  WHERE all(r IN rs WHERE ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance))
  WITH m, min(length(p)) AS distance
  RETURN collect({node: m, depth: distance}) AS down
}
CALL (root) {
  UNWIND CASE WHEN $upstream THEN [root] ELSE [] END AS start
  MATCH p = (start)<-[rs:FLOWS_TO*1..__DEPTH__]-(m)
  WHERE all(r IN rs WHERE ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance))
  WITH m, min(length(p)) AS distance
  RETURN collect({node: m, depth: -distance}) AS up
}
CALL (root, up, down) {
  UNWIND up + down AS hit
  WITH hit WHERE hit.node <> root
  WITH hit.node AS n, hit.depth AS depth
  ORDER BY abs(depth), depth
  WITH n, collect(depth)[0] AS depth
  ORDER BY abs(depth), depth, n.id
  RETURN collect({node: n, depth: depth}) AS reached
}
WITH root, is_table, reached,
     CASE WHEN $max_nodes > 1 THEN $max_nodes - 1 ELSE 0 END AS room
WITH root, is_table, size(reached) > room AS truncated,
     [{node: root, depth: 0}] + reached[..room] AS kept
WITH root, is_table, truncated, kept, [k IN kept | k.node] AS nodes
CALL (kept, nodes) {
  UNWIND kept AS k
  WITH k.node AS n, k.depth AS depth
  WHERE ((depth > 0 OR (depth = 0 AND $downstream)) AND EXISTS {
          MATCH (n)-[r:FLOWS_TO]->(o)
          WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance) })
     OR ((depth < 0 OR (depth = 0 AND $upstream)) AND EXISTS {
          MATCH (n)<-[r:FLOWS_TO]-(o)
          WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance) })
  RETURN collect(n.id) AS frontier
}
// Per node and per direction: an edge passing the filters leads to a node not kept.
CALL (kept, nodes) {
  UNWIND kept AS k
  WITH k.node AS n
  WITH n,
       EXISTS { MATCH (n)<-[r:FLOWS_TO]-(o)
                WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
                  AND r.confidence >= $min_confidence
                  AND ($provenance IS NULL OR r.lineage_source IN $provenance) } AS up,
       EXISTS { MATCH (n)-[r:FLOWS_TO]->(o)
                WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
                  AND r.confidence >= $min_confidence
                  AND ($provenance IS NULL OR r.lineage_source IN $provenance) } AS down
  WHERE up OR down
  RETURN collect({id: n.id, up: up, down: down}) AS more
}
CALL (nodes) {
  UNWIND nodes AS n
  MATCH (n)-[r:FLOWS_TO]->(o)
  WHERE o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
    AND r.confidence >= $min_confidence
    AND ($provenance IS NULL OR r.lineage_source IN $provenance)
  RETURN collect(r {.id, .level, .lineage_source, .confidence, .transformation_type,
                    .review_state, .explicit, upstream_id: n.id, downstream_id: o.id}) AS edges
}
CALL (nodes, is_table) {
  UNWIND CASE WHEN $include_fields AND is_table THEN nodes ELSE [] END AS a
  MATCH (a)-[:HAS_FIELD]->(f:Field)-[r:FLOWS_TO]->(g:Field)<-[:HAS_FIELD]-(b:Table)
  WHERE b IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
    AND r.confidence >= $min_confidence
    AND ($provenance IS NULL OR r.lineage_source IN $provenance)
  RETURN collect(r {.id, .level, .lineage_source, .confidence, .transformation_type,
                    .review_state, .explicit, upstream_id: f.id, downstream_id: g.id})
           AS field_edges,
         collect(DISTINCT f) + collect(DISTINCT g) AS ends
}
CALL (kept, ends) {
  UNWIND [k IN kept | {node: k.node, depth: k.depth}] + [f IN ends | {node: f, depth: null}]
    AS shown
  WITH shown.node AS x, shown.depth AS depth
  RETURN collect(CASE WHEN x:Table
           THEN x {.id, .name, .schema, .qualified_name, .kind, .source_key, .description,
                   .tags, depth: depth}
           ELSE x {.id, .name, .data_type, .table_id, .description, depth: depth,
                   table_name: head([(t:Table)-[:HAS_FIELD]->(x) | t.qualified_name])}
           END) AS shown
}
RETURN is_table, truncated, frontier, more, edges + field_edges AS edges, shown AS nodes
