MATCH (c:ConnectionTest {source_id: $source_id})
WHERE ($operation IS NULL OR c.operation = $operation)
  AND ($after_at IS NULL OR c.at < datetime($after_at)
       OR (c.at = datetime($after_at) AND c.id < $after_id))
RETURN c {.*} AS record
ORDER BY c.at DESC, c.id DESC
LIMIT $limit
