// OpenLineage events are stored once per (kind, run or subject, type, time): a repeated post is
// recognised by its key. Datasets are looked up by namespace/name; tables by the dbt project
// that documented them.
CREATE CONSTRAINT openlineage_event_key IF NOT EXISTS
FOR (n:OpenLineageEvent) REQUIRE n.key IS UNIQUE;
CREATE INDEX openlineage_event_run IF NOT EXISTS FOR (n:OpenLineageEvent) ON (n.run_id);
CREATE INDEX openlineage_event_job IF NOT EXISTS FOR (n:OpenLineageEvent) ON (n.job_key);
CREATE CONSTRAINT openlineage_dataset_key IF NOT EXISTS
FOR (n:OpenLineageDataset) REQUIRE n.key IS UNIQUE;
CREATE INDEX table_dbt_project IF NOT EXISTS FOR (n:Table) ON (n.dbt_project)
