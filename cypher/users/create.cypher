WITH datetime() AS now
CREATE (u:User)
SET u = $props,
    u.id = randomUUID(),
    u.disabled = false,
    u.created_at = now,
    u.updated_at = now
RETURN u {.*, password_hash: null} AS user
