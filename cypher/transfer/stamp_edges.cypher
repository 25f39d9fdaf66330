// Implied table edges an import created get the id's timestamps the file carried for them.
UNWIND $rows AS row
MATCH ()-[r:FLOWS_TO {id: row.id}]->()
SET r.created_at = coalesce(datetime(row.created_at), r.created_at),
    r.updated_at = coalesce(datetime(row.updated_at), datetime(row.created_at), r.updated_at)
