// Changes role, disabled or password_hash; returns the state before and after for the audit.
MATCH (u:User {username_key: $username_key})
WITH u, u {.*, password_hash: null} AS before
SET u += $changes, u.updated_at = datetime()
RETURN before, u {.*, password_hash: null} AS user
