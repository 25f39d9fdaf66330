// Connection tests and introspections are read per source, newest first.
CREATE INDEX connection_test_source IF NOT EXISTS FOR (n:ConnectionTest) ON (n.source_id, n.at);
CREATE CONSTRAINT connection_test_id IF NOT EXISTS FOR (n:ConnectionTest) REQUIRE n.id IS UNIQUE
