// Ends every live API token of a user (disabled, or their password reset by an administrator).
MATCH (t:ApiToken)-[:TOKEN_OF]->(u:User {id: $user_id})
WHERE t.revoked_at IS NULL
SET t.revoked_at = datetime()
RETURN count(t) AS revoked
