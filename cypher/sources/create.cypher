WITH datetime() AS now
CREATE (s:Source)
SET s = $props,
    s.id = randomUUID(),
    s.created_at = now,
    s.updated_at = now
RETURN s {.*} AS source
