// Tables by source and qualified name, compared case-insensitively.
UNWIND $keys AS key
MATCH (t:Table {source_key: key.source_key})
WHERE toLower(t.qualified_name) = toLower(key.qualified_name)
RETURN key.source_key AS source_key, key.qualified_name AS qualified_name, t.id AS id
