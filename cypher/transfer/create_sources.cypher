// Sources created by an import, keeping the ids and timestamps the file gives.
UNWIND $rows AS row
CREATE (s:Source)
SET s = row.props,
    s.id = row.id,
    s.created_at = coalesce(datetime(row.created_at), datetime()),
    s.updated_at = coalesce(datetime(row.updated_at), datetime(row.created_at), datetime())
