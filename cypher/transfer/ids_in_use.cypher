// Which of the given ids a source, table or field already has (ids a file asks to create with).
UNWIND $ids AS id
OPTIONAL MATCH (s:Source {id: id})
OPTIONAL MATCH (t:Table {id: id})
OPTIONAL MATCH (f:Field {id: id})
WITH id, CASE WHEN s IS NOT NULL THEN 'SOURCE' WHEN t IS NOT NULL THEN 'TABLE'
              WHEN f IS NOT NULL THEN 'FIELD' END AS kind
WHERE kind IS NOT NULL
RETURN id, kind
