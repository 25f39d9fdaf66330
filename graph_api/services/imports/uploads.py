"""Uploads spooled to a file of the import's own before it runs, within a size limit."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from graph_api.errors import ValidationError

MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
_CHUNK = 1 << 20


async def save_upload(upload: Any, *, field: str) -> tuple[Path, str]:
    """Copy an upload to a file of our own (the request's copy goes when it ends); `field`
    names the upload in errors, as the caller calls it."""
    if isinstance(upload, str) or upload is None:
        raise ValidationError(
            "Send the file itself with the GraphQL multipart request spec (a form with "
            "'operations', 'map' and the file), not as text in the variables.",
            field=field,
        )
    name = PurePosixPath(str(getattr(upload, "filename", None) or "upload")).name
    handle = tempfile.NamedTemporaryFile(
        prefix="clew-upload-", suffix="-" + name[-60:], delete=False
    )
    path = Path(handle.name)
    size = 0
    try:
        with handle:
            while True:
                if hasattr(upload, "read") and asyncio.iscoroutinefunction(upload.read):
                    chunk = await upload.read(_CHUNK)
                elif hasattr(upload, "read"):
                    chunk = upload.read(_CHUNK)
                else:
                    chunk, upload = bytes(upload), b""
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ValidationError(
                        f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; split "
                        "it (for example one file per section) and import the parts.",
                        field=field,
                    )
                handle.write(chunk)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path, name
