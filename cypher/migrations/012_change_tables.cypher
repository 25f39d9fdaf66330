// A table's history includes its fields' changes, those of fields since deleted too: each
// :Change of a table or field carries the table's id.
CREATE INDEX change_table IF NOT EXISTS FOR (n:Change) ON (n.table_id, n.at)
