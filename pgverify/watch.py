"""``pgverify check --watch``: check again whenever a checked file (or the configuration) changes.

Polls modification times (no file-system events: nothing to install, the same
on every system) every :data:`INTERVAL` seconds; a change to any notes file
under the given paths, or to a configuration or macros file there, runs the
check again.  Hidden folders (``.git``, the result cache) are not watched, so
a check's own writes never trigger the next one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

INTERVAL = 0.5
WATCHED = {".pgv", ".md", ".markdown", ".mdx", ".tex", ".ipynb", ".rst", ".toml", ".sty"}

Snapshot = dict[str, tuple[int, int]]


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """(modification time, size) of every watched file under ``paths`` (a file given is always watched)."""
    found: Snapshot = {}
    for root in paths:
        files = [root] if not root.is_dir() else []
        if root.is_dir():
            for folder, dirs, names in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [Path(folder) / n for n in names if Path(n).suffix.lower() in WATCHED]
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue   # gone, or not readable: the next check says so
            found[str(f)] = (st.st_mtime_ns, st.st_size)
    return found


def watch(run: Callable[[], int], paths: list[Path], interval: float = INTERVAL,
          stop: Callable[[], bool] = lambda: False) -> int:
    """Run ``run`` now and after each change under ``paths`` until interrupted; the last exit status."""
    watched = paths or [Path.cwd()]
    before = snapshot(watched)
    code = run()
    sys.stdout.flush()
    try:
        while not stop():
            time.sleep(interval)
            now = snapshot(watched)
            if now == before:
                continue
            changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
            before = now
            print(f"\n--- pgverify: {', '.join(changed[:3])}{' …' if len(changed) > 3 else ''} changed;"
                  " checking again ---\n", flush=True)
            code = run()
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    return code
