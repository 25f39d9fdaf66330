// The first page of matches, most relevant first, each with what the answer shows: no
// second round trip to load the tables and fields found. The index returns at most $limit.
CALL db.index.fulltext.queryNodes('catalog_search', $query, {limit: $limit})
YIELD node, score
RETURN CASE WHEN node:Table THEN 'TABLE' ELSE 'FIELD' END AS kind, node {.*} AS item, score
ORDER BY score DESC, item.id
