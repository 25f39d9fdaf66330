MATCH (c:ConnectionTest {source_id: $source_id})
WHERE $operation IS NULL OR c.operation = $operation
RETURN count(c) AS total
