// Import jobs are looked up by id (importJob, importJobProgress).
CREATE CONSTRAINT import_job_id IF NOT EXISTS FOR (n:ImportJob) REQUIRE n.id IS UNIQUE
