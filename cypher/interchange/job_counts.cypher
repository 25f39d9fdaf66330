MATCH (j:ImportJob)
RETURN j.status AS status, count(*) AS jobs
