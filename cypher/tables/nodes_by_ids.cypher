// Tables and fields by id, in one statement (lineage graphs mix both).
UNWIND $ids AS id
OPTIONAL MATCH (t:Table {id: id})
OPTIONAL MATCH (f:Field {id: id})
WITH id, t, f WHERE t IS NOT NULL OR f IS NOT NULL
RETURN CASE WHEN t IS NOT NULL THEN 'TABLE' ELSE 'FIELD' END AS kind,
       coalesce(t {.*}, f {.*}) AS node
