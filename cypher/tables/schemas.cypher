// The schemas tables are filed under, with how many tables each holds, for browsing.
MATCH (t:Table)
WHERE t.schema IS NOT NULL AND ($source_key IS NULL OR t.source_key = $source_key)
WITH t.schema AS name, count(t) AS tables
RETURN name, tables
ORDER BY name
LIMIT $limit
