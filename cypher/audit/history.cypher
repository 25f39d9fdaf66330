MATCH (c:Change {entity_id: $entity_id})
WHERE $after_at IS NULL OR c.at < datetime($after_at) OR (c.at = datetime($after_at) AND c.id < $after_id)
RETURN c {.*} AS change
ORDER BY c.at DESC, c.id DESC
LIMIT $limit
