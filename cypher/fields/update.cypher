MATCH (f:Field {id: $id})
WITH f, f {.*} AS before
SET f += $props, f.updated_at = datetime()
RETURN before, f {.*} AS field
