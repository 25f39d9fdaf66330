"""Every connector test module gets the shared test servers (tests/servers/fixtures.py) and
the stand-in for the Oracle driver (oracle_driver.py)."""

from tests.connectors.oracle_driver import fake  # noqa: F401
from tests.servers.fixtures import elasticsearch, ferretdb, mariadb, postgres  # noqa: F401
