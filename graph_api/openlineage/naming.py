"""Which Clew table an OpenLineage dataset is, by the OpenLineage naming spec.

- `postgres://host:port` + `database.schema.table`: the PostgreSQL source at host:port whose
  database is `database`; its table `schema.table`.
- `mysql://host:port` + `database.table`: the MySQL source at host:port; table
  `database.table` (Clew's MySQL schema is the database).
- `oracle://host:port` + `service.schema.table`: the Oracle source at host:port whose service
  name (or SID) is `service`; table `schema.table`.
- `mongodb://host:port` + `database.collection`: the MongoDB source at host:port; table
  `database.collection`.
- `elasticsearch://host:port` + `index`: the Elasticsearch source at host:port; table `index`.

The last two are Clew's own (the spec names none for them), shaped like the others: the
namespace is the server, the name what a query names. Hosts compare case-insensitively and
exactly (no DNS: `localhost` is not `127.0.0.1`), a missing port is the database's default,
and table names compare case-insensitively. A source known only by a secret URI (MongoDB) is
matched by mapping its datasets by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from graph_api.models import Source, SourceType

SCHEMES: dict[str, SourceType] = {
    "postgres": SourceType.POSTGRESQL,
    "postgresql": SourceType.POSTGRESQL,
    "mysql": SourceType.MYSQL,
    "oracle": SourceType.ORACLE,
    "mongodb": SourceType.MONGODB,
    "elasticsearch": SourceType.ELASTICSEARCH,
}
DEFAULT_PORTS = {
    SourceType.POSTGRESQL: 5432,
    SourceType.MYSQL: 3306,
    SourceType.ORACLE: 1521,
    SourceType.MONGODB: 27017,
    SourceType.ELASTICSEARCH: 9200,
}
# How many dot-separated parts a name has for each type.
_PARTS = {
    SourceType.POSTGRESQL: 3,
    SourceType.MYSQL: 2,
    SourceType.ORACLE: 3,
    SourceType.MONGODB: 2,
    SourceType.ELASTICSEARCH: 1,
}


@dataclass(frozen=True, kw_only=True)
class Address:
    """A dataset's place: the server, the database (or service) on it, and the table."""

    type: SourceType
    host: str
    port: int
    database: str | None
    schema: str | None
    table: str

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


def address(namespace: str, name: str) -> Address | None:
    """None for a namespace of another kind (s3://, bigquery, a file) or a name of the wrong
    shape: such a dataset is listed for a person to map."""
    try:
        parts = urlsplit(namespace)
        port = parts.port
    except ValueError:
        return None
    kind = SCHEMES.get(parts.scheme.lower())
    if kind is None or not parts.hostname:
        return None
    pieces = name.split(".")
    want = _PARTS[kind]
    if len(pieces) != want or not all(pieces):
        return None
    host, port = parts.hostname.lower(), port or DEFAULT_PORTS[kind]
    if kind in (SourceType.POSTGRESQL, SourceType.ORACLE):
        return Address(
            type=kind, host=host, port=port, database=pieces[0], schema=pieces[1], table=pieces[2]
        )
    if kind in (SourceType.MYSQL, SourceType.MONGODB):
        return Address(
            type=kind, host=host, port=port, database=pieces[0], schema=pieces[0], table=pieces[1]
        )
    return Address(type=kind, host=host, port=port, database=None, schema=None, table=pieces[0])


def serves(source: Source, where: Address) -> bool:
    """Whether this registered source is the server and database the address names."""
    conn = source.connection
    if source.type is not where.type or not conn.host:
        return False
    if conn.host.lower() != where.host or (conn.port or DEFAULT_PORTS[source.type]) != where.port:
        return False
    if where.type is SourceType.POSTGRESQL:
        return (conn.database or "").lower() == (where.database or "").lower()
    if where.type is SourceType.ORACLE:
        service = conn.service_name or conn.sid or ""
        return service.lower() == (where.database or "").lower()
    # MySQL and MongoDB sources may list several databases; Elasticsearch has none.
    return conn.database is None or conn.database.lower() == (where.database or "").lower()
