MATCH (c:Change {entity_id: $entity_id})
RETURN count(c) AS total
