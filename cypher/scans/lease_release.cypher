MATCH (l:ScanLease {source_id: $source_id, holder: $holder})
DELETE l
