CALL db.index.fulltext.queryNodes('catalog_search', $query, {limit: $limit})
YIELD node, score
RETURN CASE WHEN node:Table THEN 'TABLE' ELSE 'FIELD' END AS kind, node.id AS id, score
ORDER BY score DESC, id
