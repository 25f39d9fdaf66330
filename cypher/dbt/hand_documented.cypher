// Of these tables, those with lineage a person declared or a steward approved (on the table or
// on one of its fields): a project that stops declaring such a table leaves it in place.
UNWIND $ids AS id
MATCH (t:Table {id: id})
WHERE EXISTS { (t)-[r:FLOWS_TO]-() WHERE r.lineage_source IN ['MANUAL', 'APPROVED'] }
   OR EXISTS { (t)-[:HAS_FIELD]->(:Field)-[r:FLOWS_TO]-() WHERE r.lineage_source IN ['MANUAL', 'APPROVED'] }
RETURN t.id AS id
