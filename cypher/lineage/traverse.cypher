// Breadth-first lineage from each start set, the whole search in one statement.
// `[:FLOWS_TO*1..n]` grouped by end node with min(length) is planned as a pruning
// breadth-first expand (VarLengthExpand(Pruning,BFS)) that visits each node once, so the
// cost grows with the nodes reached, not with the paths (diamonds multiply paths).
// Nodes are kept nearest first (upstream before downstream at equal distance, then by id) up
// to $max_nodes; the frontier is every kept node with a neighbour, in its direction, that
// passes the filters but was not kept (beyond the depth or over the cap).
UNWIND $starts AS start
CALL (start) {
  MATCH (root:__NODE__) WHERE root.id IN start.ids
  RETURN collect(root) AS roots
}
CALL (roots) {
  UNWIND CASE WHEN $downstream THEN roots ELSE [] END AS root
  MATCH p = (root)-[rs:FLOWS_TO*1..__DEPTH__]->(m:__NODE__)
  WHERE all(r IN rs WHERE ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance))
  WITH root, m, min(length(p)) AS distance
  RETURN collect({node: m, depth: distance}) AS down
}
CALL (roots) {
  UNWIND CASE WHEN $upstream THEN roots ELSE [] END AS root
  MATCH p = (root)<-[rs:FLOWS_TO*1..__DEPTH__]-(m:__NODE__)
  WHERE all(r IN rs WHERE ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance))
  WITH root, m, min(length(p)) AS distance
  RETURN collect({node: m, depth: -distance}) AS up
}
CALL (roots, up, down) {
  UNWIND up + down AS hit
  WITH hit WHERE NOT hit.node IN roots
  WITH hit.node AS n, hit.depth AS depth
  ORDER BY abs(depth), depth
  WITH n, collect(depth)[0] AS depth
  ORDER BY abs(depth), depth, n.id
  RETURN collect({node: n, depth: depth}) AS reached
}
WITH start, roots, reached,
     CASE WHEN $max_nodes > size(roots) THEN $max_nodes - size(roots) ELSE 0 END AS room
WITH start, size(reached) > room AS truncated,
     [r IN roots | {node: r, depth: 0}] + reached[..room] AS kept
WITH start, truncated, kept, [k IN kept | k.node] AS nodes
CALL (kept, nodes) {
  UNWIND kept AS k
  WITH k.node AS n, k.depth AS depth
  WHERE ((depth > 0 OR (depth = 0 AND $downstream)) AND EXISTS {
          MATCH (n)-[r:FLOWS_TO]->(o:__NODE__)
          WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance) })
     OR ((depth < 0 OR (depth = 0 AND $upstream)) AND EXISTS {
          MATCH (n)<-[r:FLOWS_TO]-(o:__NODE__)
          WHERE NOT o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
            AND r.confidence >= $min_confidence
            AND ($provenance IS NULL OR r.lineage_source IN $provenance) })
  RETURN collect(n.id) AS frontier
}
CALL (nodes) {
  UNWIND nodes AS n
  MATCH (n)-[r:FLOWS_TO]->(o:__NODE__)
  WHERE o IN nodes AND ($include_rejected OR r.review_state <> 'REJECTED')
    AND r.confidence >= $min_confidence
    AND ($provenance IS NULL OR r.lineage_source IN $provenance)
  // A graph shows only these; hops (`via`) show every property.
  RETURN collect(CASE WHEN $full_edges THEN r {.*, upstream_id: n.id, downstream_id: o.id}
                 ELSE r {.id, .level, .lineage_source, .confidence, .transformation_type,
                         .review_state, .explicit, upstream_id: n.id, downstream_id: o.id}
                 END) AS edges
}
RETURN start.key AS key, truncated, [k IN kept | {id: k.node.id, depth: k.depth}] AS nodes,
       edges, frontier
