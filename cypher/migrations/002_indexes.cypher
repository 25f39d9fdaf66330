// Keyset pagination orders tables by qualified name, then id.
CREATE INDEX table_qualified_name_order IF NOT EXISTS FOR (n:Table) ON (n.qualified_name);
CREATE INDEX table_kind IF NOT EXISTS FOR (n:Table) ON (n.kind);
CREATE INDEX source_type IF NOT EXISTS FOR (n:Source) ON (n.type);

// Full-text search over table and field names and descriptions.
CREATE FULLTEXT INDEX catalog_text IF NOT EXISTS
FOR (n:Table|Field) ON EACH [n.name, n.qualified_name, n.description]
;

// The audit trail is read per entity, newest first.
CREATE INDEX change_entity IF NOT EXISTS FOR (n:Change) ON (n.entity_id, n.at)
