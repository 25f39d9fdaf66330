// How many changes audit/table_history pages through.
CALL () {
  CALL () {
    MATCH (c:Change) WHERE c.entity_id IN $entity_ids
    RETURN c
    UNION
    MATCH (c:Change {table_id: $table_id})
    RETURN c
  }
  RETURN count(c) AS n
  UNION ALL
  UNWIND $entity_queries AS entity_query
  CALL db.index.fulltext.queryNodes('change_set_entities', entity_query) YIELD node
  WITH DISTINCT node AS s
  RETURN size([id IN s.entity_ids WHERE id IN $entity_ids]) AS n
}
RETURN sum(n) AS total
