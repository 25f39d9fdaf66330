// What each id is (a table, a field or nothing) and, for a field, its table.
UNWIND $ids AS id
OPTIONAL MATCH (t:Table {id: id})
OPTIONAL MATCH (f:Field {id: id})
RETURN id,
       CASE WHEN t IS NOT NULL THEN 'TABLE' WHEN f IS NOT NULL THEN 'FIELD' END AS kind,
       coalesce(t.name, f.name) AS name,
       f.table_id AS table_id
