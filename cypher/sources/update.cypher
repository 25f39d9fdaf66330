MATCH (s:Source {id: $id})
WITH s, s {.*} AS before
SET s += $props, s.updated_at = datetime()
RETURN before, s {.*} AS source
