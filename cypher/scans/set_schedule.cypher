// A source's scan schedule (no updated_at bump: the schedule is not the source's settings).
MATCH (s:Source {id: $id})
SET s += $props
RETURN s {.*} AS source
