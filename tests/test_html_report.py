"""``--format html``: a self-contained page, opened in a real browser (headless Chromium).

The page is checked twice: as text (escaping, no network, MathML, the marks),
and as a user sees it: Chromium loads it, its DOM is dumped after layout and a
screenshot is decoded to see that the page is not blank and that the refuted
step is drawn in the refuted colour.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import pgverify
from pgverify.render import RENDERERS
from pgverify.render import html as html_report

from .browser import count_colors, dump_dom, find_chromium, read_png, screenshot

ROOT = Path(__file__).resolve().parent.parent

# a derivation with a hostile title, one good step and one refuted step (the weight left out)
SOURCE = """use rl
dist β(a | s)
fun f(a)

derivation "<script>alert('x')</script><img src=http://example.com/a.png onerror=alert(1)> & more"
    E_{a ~ π_θ(·|s)}[ f(a) ]
  = E_{a ~ π_θ(·|s)}[ 1 f(a) ]   by algebra
  = E_{a ~ β(·|s)}[ f(a) ]   by importance-sampling
"""

REFUTED_RED = (0xcf, 0x22, 0x2e)   # the refuted step's border (STYLE, .pgv-step.pgv-refuted)


def _tags(text: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(text)
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("html")
    notes = folder / "notes.pgv"
    notes.write_text(SOURCE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pgverify", "check", str(notes), "--format", "html"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr   # a refuted step
    out = folder / "report.html"
    out.write_text(done.stdout, encoding="utf-8")
    return out, done.stdout


def test_html_is_a_registered_format() -> None:
    assert RENDERERS["html"] is html_report.render


def test_the_page_marks_each_step_and_the_summary_comes_first(page: tuple[Path, str]) -> None:
    _, text = page
    verdicts = re.findall(r'class="pgv-step pgv-(\w+)" data-verdict="(\w+)"', text)
    assert [v for _, v in verdicts] == ["proved", "refuted"] or [v for _, v in verdicts] == ["checked", "refuted"]
    assert text.index('id="pgv-summary"') < text.index('<div class="pgv-step')
    assert "faults found" in text and "1 refuted" in re.sub(r"<[^>]+>", "", text)
    assert "line 8" in text   # the refuted step's line


def test_the_refuted_step_shows_its_mistake_counterexample_and_difference(page: tuple[Path, str]) -> None:
    _, text = page
    refuted = text[text.index('data-verdict="refuted"'):]
    assert 'class="pgv-cex"' in refuted and "left side" in refuted
    assert "mistake:" in refuted and "hint:" in refuted
    # the distributions differ: π_θ(·|s) on the left, β(·|s) on the right, each highlighted in its side
    assert refuted.count('class="pgv-diff"') >= 2
    diffs = re.findall(r'<mrow class="pgv-diff">(.*?)</mrow></mrow>', refuted)
    assert any("β" in d for d in diffs) and any("π" in d for d in diffs)


def test_math_is_mathml_built_from_the_checked_expressions(page: tuple[Path, str]) -> None:
    _, text = page
    assert text.count("<math ") >= 4
    assert "<mi>𝔼</mi>" in text and "<mi>β</mi>" in text and "<mi>π</mi>" in text


def test_user_text_is_escaped_and_the_page_loads_nothing(page: tuple[Path, str]) -> None:
    _, text = page
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    # no element or attribute that fetches anything (as the browser's parser sees them), and a policy that
    # forbids it anyway
    tags = _tags(text)
    assert not {name for name, _ in tags} & {"script", "img", "link", "iframe", "object", "embed", "base"}
    assert not [a for _, attrs in tags for a, _ in attrs if a in ("src", "href") or a.startswith("on")]
    assert "default-src 'none'" in text
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text)) - {"http://www.w3.org/1998/Math/MathML"}
    assert urls == {"http://example.com/a.png"}   # only inside the escaped title, as text
    assert "onerror=alert(1)&gt;" in text


def test_the_page_is_deterministic() -> None:
    def once() -> str:
        report = pgverify.check([ROOT / "proofs" / "flawed" / "importance-weight-missing.pgv"])
        return html_report.render(report)
    assert once() == once()


def test_a_side_that_does_not_read_back_is_shown_as_text() -> None:
    from pgverify.render import mathml
    assert mathml.side("a + + <b>") == "<mtext>a + + &lt;b&gt;</mtext>"


def test_the_browser_renders_the_page_and_marks_the_refuted_step(page: tuple[Path, str], tmp_path: Path) -> None:
    browser = find_chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    path, _ = page
    dom = dump_dom(browser, path)
    # the browser parsed MathML elements (not text) and kept the refuted mark
    assert "<math" in dom and "<msub" in dom and 'data-verdict="refuted"' in dom
    assert "<script" not in dom
    png = tmp_path / "report.png"
    screenshot(browser, path, png, width=1000, height=900)
    width, height, rows = read_png(png)
    assert (width, height) == (1000, 900)
    assert count_colors(rows) > 50, "the screenshot is blank"
    # the refuted step's border and badge are drawn in red: a visible mark, not only a class name
    assert count_colors(rows, near=REFUTED_RED, tolerance=12) > 500
    # and the good version of the same page has none of that red (summary passes, no refuted step)
    good = tmp_path / "good.html"
    good.write_text(html_report.render(pgverify.check([ROOT / "proofs" / "good" / sorted(
        p.name for p in (ROOT / "proofs" / "good").glob("*.pgv"))[0]])), encoding="utf-8")
    screenshot(browser, good, png, width=1000, height=900)
    _, _, rows = read_png(png)
    assert count_colors(rows, near=REFUTED_RED, tolerance=12) < 50
