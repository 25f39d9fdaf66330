// A table's changes and its fields' (current fields by id, deleted ones by the table id their
// changes carry), newest first, with their entries in imports' :ChangeSets; as audit/history.
CALL () {
  CALL () {
    MATCH (c:Change) WHERE c.entity_id IN $entity_ids
    RETURN c
    UNION
    MATCH (c:Change {table_id: $table_id})
    RETURN c
  }
  RETURN c {.*} AS change, null AS change_set
  UNION ALL
  UNWIND $entity_queries AS entity_query
  CALL db.index.fulltext.queryNodes('change_set_entities', entity_query) YIELD node
  WITH DISTINCT node AS s
  UNWIND [i IN range(0, size(s.entity_ids) - 1) WHERE s.entity_ids[i] IN $entity_ids] AS i
  RETURN {
    id: s.id + ':' + right('000000' + toString(i), 6),
    entity_id: s.entity_ids[i],
    actor: s.actor,
    at: s.at,
    comment: s.comment,
    set_index: i
  } AS change, s AS change_set
}
WITH change, change_set
WHERE $after_at IS NULL
   OR change.at < datetime($after_at)
   OR (change.at = datetime($after_at) AND change.id < $after_id)
WITH change, change_set
ORDER BY change.at DESC, change.id DESC
LIMIT $limit
RETURN CASE
  WHEN change_set IS NULL THEN change
  ELSE change {.*, set_entries: change_set.entries}
END AS change
