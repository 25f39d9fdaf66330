// The compose-spec JSON schema that tests/test_compose.py validates docker-compose.yml
// against: the copy in compose-go, fetched by its pinned version and checked against go.sum.
module clew.local/compose-spec

go 1.24

require github.com/compose-spec/compose-go/v2 v2.10.0
