// Identity and natural-key uniqueness. Each constraint also creates the index behind it.
CREATE CONSTRAINT clew_migration_version IF NOT EXISTS
FOR (m:ClewMigration) REQUIRE m.version IS UNIQUE;

CREATE CONSTRAINT source_id IF NOT EXISTS FOR (n:Source) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT source_name IF NOT EXISTS FOR (n:Source) REQUIRE n.name IS UNIQUE;

CREATE CONSTRAINT table_id IF NOT EXISTS FOR (n:Table) REQUIRE n.id IS UNIQUE;
// source_key is the source's id, or 'manual' for a table with no source.
CREATE CONSTRAINT table_qualified_name IF NOT EXISTS
FOR (n:Table) REQUIRE (n.source_key, n.qualified_name) IS UNIQUE;

CREATE CONSTRAINT field_id IF NOT EXISTS FOR (n:Field) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT field_name_in_table IF NOT EXISTS
FOR (n:Field) REQUIRE (n.table_id, n.name) IS UNIQUE;

// Lineage edges are relationships (:Table)-[:FLOWS_TO]->(:Table) and
// (:Field)-[:FLOWS_TO]->(:Field), upstream to downstream, each with its own id.
CREATE CONSTRAINT lineage_id IF NOT EXISTS FOR ()-[r:FLOWS_TO]-() REQUIRE r.id IS UNIQUE
