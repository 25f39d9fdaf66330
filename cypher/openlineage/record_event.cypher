// Stores an event unless one with the same key is stored; says whether it was new.
MERGE (e:OpenLineageEvent {key: $key})
ON CREATE SET e += $props, e.received_at = datetime(), e.fresh = true
WITH e, coalesce(e.fresh, false) AS created
REMOVE e.fresh
RETURN created
