MATCH (t:Table {id: $id})
WITH t, t {.*} AS before
SET t += $props, t.updated_at = datetime()
RETURN before, t {.*} AS table
