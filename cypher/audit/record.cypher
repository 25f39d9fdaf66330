// One audit record per change; before/after are JSON text (Neo4j properties cannot be maps).
UNWIND $changes AS change
CREATE (c:Change)
SET c.id = randomUUID(),
    c.entity_id = change.entity_id,
    c.entity_type = change.entity_type,
    c.table_id = change.table_id,
    c.action = change.action,
    c.actor = $actor,
    c.at = datetime(),
    c.before = change.before,
    c.after = change.after,
    c.comment = change.comment
