// The user behind a presented API token, if the token is live.
MATCH (t:ApiToken {digest: $digest})-[:TOKEN_OF]->(u:User)
WHERE t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > datetime())
RETURN t.id AS token_id, t.last_used_at AS last_used_at, u {.*, password_hash: null} AS user
