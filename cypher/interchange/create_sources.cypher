// Sources created by an import, keeping the ids the file gives; created and changed now.
UNWIND $rows AS row
CREATE (s:Source)
SET s = row.props,
    s.id = row.id,
    s.created_at = datetime(),
    s.updated_at = datetime()
