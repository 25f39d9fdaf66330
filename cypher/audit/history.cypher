// An entity's changes, newest first: its :Change nodes and its entries in imports' :ChangeSets
// (whose details the repository unpacks from `set_entries` at `set_index`).
CALL () {
  MATCH (c:Change {entity_id: $entity_id})
  RETURN c {.*} AS change
  UNION ALL
  CALL db.index.fulltext.queryNodes('change_set_entities', $entity_query) YIELD node AS s
  UNWIND [i IN range(0, size(s.entity_ids) - 1) WHERE s.entity_ids[i] = $entity_id] AS i
  RETURN {
    id: s.id + ':' + right('000000' + toString(i), 6),
    entity_id: $entity_id,
    actor: s.actor,
    at: s.at,
    comment: s.comment,
    set_index: i,
    set_entries: s.entries
  } AS change
}
WITH change
WHERE $after_at IS NULL
   OR change.at < datetime($after_at)
   OR (change.at = datetime($after_at) AND change.id < $after_id)
RETURN change
ORDER BY change.at DESC, change.id DESC
LIMIT $limit
