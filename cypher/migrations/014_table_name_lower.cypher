// SQL lineage finds the tables a text names by name without regard to case: name_lower (the
// name in lower case, written by the store on every create and rename) is indexed, so the
// lookup is an index seek instead of a scan of every table.
CREATE INDEX table_name_lower IF NOT EXISTS FOR (n:Table) ON (n.name_lower);

// Tables written before this migration.
MATCH (t:Table)
WHERE t.name_lower IS NULL AND t.name IS NOT NULL
SET t.name_lower = toLower(t.name)
