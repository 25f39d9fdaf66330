MATCH (o:Origin {kind: $kind, key: $key})
RETURN o {.*} AS origin
