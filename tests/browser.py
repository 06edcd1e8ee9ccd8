"""A real browser for the tests: headless Chromium opens a page, dumps its DOM and takes a screenshot.

Nothing is mocked: the page is rendered by the browser's own engine (MathML
included), and the screenshot is decoded here (a PNG reader in plain Python,
so no imaging library is needed) to see what a user would see.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

# no network of any kind, no first-run work, no profile shared with anything else
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]


def find_chromium() -> str | None:
    """The Chromium executable, or None when the machine has none."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(browser: str, page: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(browser: str, page: Path) -> str:
    """The DOM after the browser loaded and laid out the page."""
    done = _run(browser, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(browser: str, page: Path, png: Path, width: int = 1200, height: int = 1400) -> None:
    """A screenshot of the page's first ``width`` x ``height`` pixels, written to ``png``."""
    done = _run(browser, page, f"--screenshot={png}", f"--window-size={width},{height}")
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, chunks, header = 8, [], b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line if channels == 3 else bytes(b for k, b in enumerate(line) if k % 4 != 3)))
        previous = line
    return width, height, rows


def count_colors(rows: list[bytes], near: tuple[int, int, int] | None = None, tolerance: int = 30) -> int:
    """The number of distinct colours, or with ``near`` the number of pixels within ``tolerance`` of it."""
    if near is None:
        return len({row[x:x + 3] for row in rows for x in range(0, len(row), 3)})
    r0, g0, b0 = near
    return sum(1 for row in rows for x in range(0, len(row), 3)
               if abs(row[x] - r0) <= tolerance and abs(row[x + 1] - g0) <= tolerance and abs(row[x + 2] - b0) <= tolerance)
