// A user's API tokens (or everyone's when $user_id is null), newest first; never the digest.
MATCH (t:ApiToken)-[:TOKEN_OF]->(u:User)
WHERE $user_id IS NULL OR u.id = $user_id
RETURN t {.*, digest: null, user_id: u.id, username: u.username} AS token
ORDER BY t.created_at DESC
