MATCH (t:ApiToken {id: $id})-[:TOKEN_OF]->(u:User)
WHERE $user_id IS NULL OR u.id = $user_id
SET t.revoked_at = coalesce(t.revoked_at, datetime())
RETURN t {.*, digest: null, user_id: u.id, username: u.username} AS token
