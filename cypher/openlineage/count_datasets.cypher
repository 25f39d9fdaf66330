MATCH (d:OpenLineageDataset)
WHERE NOT $unmapped OR d.table_id IS NULL
RETURN count(d) AS total
