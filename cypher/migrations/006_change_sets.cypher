// An import records its audit trail one :ChangeSet per batch (per entity: parallel lists),
// because a :Change node per imported row costs Neo4j ~3 kB of transaction memory each.
// History finds an entity's entries through this index: the keyword analyzer keeps each id
// whole, so a query for one id matches exactly that id.
CREATE FULLTEXT INDEX change_set_entities IF NOT EXISTS
FOR (n:ChangeSet) ON EACH [n.entity_ids]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword', `fulltext.eventually_consistent`: false}}
