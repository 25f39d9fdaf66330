// Tables and fields by id, in one statement (lineage graphs mix both), with only the
// properties lineage views show: no timestamps (decoding them was a third of a big graph).
UNWIND $ids AS id
OPTIONAL MATCH (t:Table {id: id})
OPTIONAL MATCH (f:Field {id: id})
WITH id, t, f WHERE t IS NOT NULL OR f IS NOT NULL
RETURN CASE WHEN t IS NOT NULL THEN 'TABLE' ELSE 'FIELD' END AS kind,
       coalesce(t {.id, .name, .schema, .qualified_name, .kind, .source_key, .description, .tags},
                f {.id, .name, .data_type, .table_id, .description}) AS node
