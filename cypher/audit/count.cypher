// How many changes an entity has, counting its entries in imports' :ChangeSets.
CALL () {
  MATCH (c:Change {entity_id: $entity_id})
  RETURN count(c) AS n
  UNION ALL
  CALL db.index.fulltext.queryNodes('change_set_entities', $entity_query) YIELD node AS s
  RETURN size([id IN s.entity_ids WHERE id = $entity_id]) AS n
}
RETURN sum(n) AS total
