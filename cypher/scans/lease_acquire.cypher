// Take (or renew) the source's scan lease for $holder: granted when nobody holds it, when it
// expired (its holder's process stopped), or when $holder already holds it. Neo4j's lock on
// the lease node (the unique constraint makes MERGE take it) lets exactly one writer win.
MERGE (l:ScanLease {source_id: $source_id})
ON CREATE SET l.holder = $holder, l.expires_at = datetime() - duration({seconds: 1})
SET l.holder = l.holder
WITH l, (l.holder = $holder OR l.expires_at < datetime()) AS granted
SET l.holder = CASE WHEN granted THEN $holder ELSE l.holder END,
    l.expires_at = CASE
      WHEN granted THEN datetime() + duration({seconds: $seconds})
      ELSE l.expires_at END
RETURN granted, l.holder AS holder
