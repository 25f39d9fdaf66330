MATCH (t:ApiToken {id: $id})
SET t.last_used_at = datetime()
