UNWIND $ids AS id
MATCH (o:Origin {id: id})
RETURN o {.*} AS origin
