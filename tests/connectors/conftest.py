"""Every connector test module gets the shared test servers (tests/servers/fixtures.py)."""

from tests.servers.fixtures import elasticsearch, ferretdb, mariadb, postgres  # noqa: F401
