// Search also matches the words inside identifiers (customer_orders -> customer, orders):
// search_text holds them, written by the store on every create and rename.
DROP INDEX catalog_text IF EXISTS;

CREATE FULLTEXT INDEX catalog_search IF NOT EXISTS
FOR (n:Table|Field) ON EACH [n.name, n.search_text, n.description];

// Nodes written before this migration get an approximation; a rename refines it.
MATCH (n)
WHERE (n:Table OR n:Field) AND n.search_text IS NULL
SET n.search_text = toLower(replace(replace(replace(coalesce(n.qualified_name, n.name), '_', ' '), '.', ' '), '-', ' '))
