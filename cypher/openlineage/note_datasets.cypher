// Records the datasets an event names, with the job that named them and the table each maps to
// by the naming spec (a table a person mapped stays mapped), and the fields its schema facet
// gave last (JSON).
UNWIND $rows AS row
MERGE (d:OpenLineageDataset {key: row.key})
ON CREATE SET d.id = randomUUID(), d.namespace = row.namespace, d.name = row.name,
              d.first_seen = datetime(), d.jobs = []
SET d.last_seen = datetime(),
    d.jobs = CASE WHEN row.job_key IS NULL OR row.job_key IN d.jobs THEN d.jobs
                  ELSE d.jobs + row.job_key END,
    d.table_id = CASE WHEN d.mapped_by IS NULL THEN row.table_id ELSE d.table_id END,
    d.fields = coalesce(row.fields, d.fields)
RETURN d.key AS key, d.table_id AS table_id
