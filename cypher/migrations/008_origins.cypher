// Origins and their assertions (README, "Lineage rules"). An assertion is a node, not a
// property of the FLOWS_TO relationship: relationship properties cannot hold maps (the
// evidence), and a list of origin keys on each relationship cannot be indexed, so "every edge
// origin X asserts" would scan every relationship. Assertions are found by origin and by edge
// through these indexes, and their edge through the lineage_id constraint's index.
CREATE CONSTRAINT origin_id IF NOT EXISTS FOR (n:Origin) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT origin_kind_key IF NOT EXISTS FOR (n:Origin) REQUIRE (n.kind, n.key) IS UNIQUE;
CREATE CONSTRAINT assertion_origin_edge IF NOT EXISTS
FOR (n:Assertion) REQUIRE (n.origin_id, n.edge_id) IS UNIQUE;
CREATE INDEX assertion_origin IF NOT EXISTS FOR (n:Assertion) ON (n.origin_id);
CREATE INDEX assertion_edge IF NOT EXISTS FOR (n:Assertion) ON (n.edge_id)
