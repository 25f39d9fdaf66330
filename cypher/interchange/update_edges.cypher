UNWIND $rows AS row
MATCH ()-[r:FLOWS_TO {id: row.id}]->()
SET r += row.props,
    r.reviewed_at = CASE WHEN row.reviewed_now THEN datetime()
                         WHEN row.reviewed_at IS NOT NULL THEN datetime(row.reviewed_at)
                         ELSE r.reviewed_at END,
    r.updated_at = datetime()
