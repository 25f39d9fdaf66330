"""Re-encrypting every stored source secret under the newest key (`clew keys rotate`)."""

from __future__ import annotations

from graph_api.models import SECRET_NAMES
from graph_api.secrets import SecretBox, SecretDecryptionError
from graph_api.store.client import Store, Tx
from graph_api.store.sources import SourceSecretRepository


async def rotate_secrets(store: Store, box: SecretBox) -> tuple[int, list[str]]:
    """Re-encrypts every stored secret under the newest key. Returns how many sources were
    re-encrypted and the names of those whose secrets no configured key can decrypt (left
    untouched, so adding the missing key later still recovers them). A secret changed while
    this runs is left as it now is, and rotated on the next pass."""
    repo = SourceSecretRepository(store)
    done: set[str] = set()
    unreadable: dict[str, str] = {}
    for _ in range(3):
        stored = {k: v for k, v in (await repo.all()).items() if k not in done}
        rows: list[dict[str, str | None]] = []
        for source_id, secrets in stored.items():
            try:
                rotated = {name: box.rotate(token) for name, token in secrets.tokens.items()}
            except SecretDecryptionError:
                unreadable[source_id] = secrets.name
                continue
            unreadable.pop(source_id, None)
            rows.append(
                {
                    "id": source_id,
                    **{n: rotated.get(n) for n in SECRET_NAMES},
                    **{f"old_{n}": secrets.tokens.get(n) for n in SECRET_NAMES},
                }
            )
        if not rows:
            break

        async def work(tx: Tx, rows: list[dict[str, str | None]] = rows) -> set[str]:
            written: set[str] = set()
            for start in range(0, len(rows), 500):
                written |= await repo.replace(tx, rows[start : start + 500])
            return written

        written = await store.transaction(work)
        done |= written
        if len(written) == len(rows):
            break
    return len(done), sorted(unreadable.values())
