"""Writing reports and baselines: all or nothing, never a truncated file."""

from __future__ import annotations

import contextlib
import os
import tempfile


def atomic_write(path: str, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder; on any failure the
    previous file (if any) is left as it was and no temporary file remains. Raises OSError."""
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # the mode a plain open() would give
        os.replace(temporary, path)
    except BaseException:  # disk full, interrupted
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
