// Field edges running between the tables of each given table edge.
UNWIND $ids AS id
MATCH (a:Table)-[r:FLOWS_TO {id: id}]->(b:Table)
MATCH (a)-[:HAS_FIELD]->(:Field)-[fe:FLOWS_TO]->(:Field)<-[:HAS_FIELD]-(b)
RETURN id AS table_edge_id, collect(fe.id) AS field_edge_ids
