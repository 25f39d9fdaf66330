// Scan jobs are looked up by id and listed per source, newest first (scanJobs, Source.lastScan).
CREATE CONSTRAINT scan_job_id IF NOT EXISTS FOR (n:ScanJob) REQUIRE n.id IS UNIQUE;
CREATE INDEX scan_job_source IF NOT EXISTS FOR (n:ScanJob) ON (n.source_id, n.created_at);
// One lease per source: whoever holds it (a scan job) is the only one scanning that source.
CREATE CONSTRAINT scan_lease_source IF NOT EXISTS FOR (n:ScanLease) REQUIRE n.source_id IS UNIQUE
