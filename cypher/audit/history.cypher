// An entity's changes, newest first: its :Change nodes and its entries in imports' :ChangeSets
// (whose details the repository unpacks from `set_entries` at `set_index`). A set's compressed
// entries are read only for the page's rows, after the LIMIT.
CALL () {
  MATCH (c:Change {entity_id: $entity_id})
  RETURN c {.*} AS change, null AS change_set
  UNION ALL
  CALL db.index.fulltext.queryNodes('change_set_entities', $entity_query) YIELD node AS s
  UNWIND [i IN range(0, size(s.entity_ids) - 1) WHERE s.entity_ids[i] = $entity_id] AS i
  RETURN {
    id: s.id + ':' + right('000000' + toString(i), 6),
    entity_id: $entity_id,
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
