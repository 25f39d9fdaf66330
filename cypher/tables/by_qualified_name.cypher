MATCH (t:Table {source_key: $source_key, qualified_name: $qualified_name})
RETURN t {.*} AS table
