// The tables a dbt project documented before, and those its relations name now (by source and
// qualified name, case-insensitively), with every property.
MATCH (t:Table {dbt_project: $project})
RETURN t {.*} AS table
UNION
UNWIND $keys AS key
MATCH (t:Table {source_key: key.source_key})
WHERE toLower(t.qualified_name) = toLower(key.qualified_name)
RETURN t {.*} AS table
