MATCH (u:User {id: $user_id})
CREATE (t:ApiToken)-[:TOKEN_OF]->(u)
SET t = $props,
    t.id = randomUUID(),
    t.created_at = datetime()
RETURN t {.*, digest: null, user_id: u.id, username: u.username} AS token
