"""The self-contained HTML report file, and `swarmdeck report`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.report.runs import CLOSING_NAME, HOSTILE_REASON, HOSTILE_TAG, SCRIPT_NAME, T0, make_run

from swarmdeck.cli import main
from swarmdeck.report.document import run_document
from swarmdeck.report.html import json_for_script, render_html, write_html
from swarmdeck.store import Store


class Page(HTMLParser):
    """The elements of a page as a browser's tokenizer sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open, self._attrs, self._text = tag, dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open == "script":
            self.scripts.append((self._attrs, "".join(self._text)))
        elif tag == self._open == "style":
            self.styles.append("".join(self._text))
        if tag == self._open:
            self._open = None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


@pytest.fixture
def hostile_run(store: Store) -> int:
    return make_run(store, seconds=30, names=("/a", SCRIPT_NAME, CLOSING_NAME),
                    tags={"note": HOSTILE_TAG}, shape=False)


def test_the_file_needs_no_network(store: Store, hostile_run: int) -> None:
    html = render_html(run_document(store, hostile_run))
    page = Page(html)
    # nothing to fetch: no element refers to another resource
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            assert name not in attrs, (tag, attrs)
    code = "\n".join(text for attrs, text in page.scripts if attrs.get("type") is None)
    css = "\n".join(page.styles)
    assert "uPlot" in code and "SwarmdeckReport" in code  # the library is inlined
    assert not re.search(r"@import|url\(\s*['\"]?(?!data:)", css)
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket|EventSource|\bimport\(", code)
    # the only URLs are the vendored library's banner comment and the run's own host
    urls = set(re.findall(r"https?://[^\s\"'<>\\)]+", html))
    assert urls <= {"https://github.com/leeoniya/uPlot", "http://127.0.0.1:5000"}, urls
    csp = next(attrs["content"] for tag, attrs in page.tags
               if attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_every_inline_script_is_allowed_by_the_policy_and_no_other(store: Store,
                                                                   hostile_run: int) -> None:
    page = Page(render_html(run_document(store, hostile_run)))
    csp = next(attrs["content"] for tag, attrs in page.tags
               if attrs.get("http-equiv") == "Content-Security-Policy")
    allowed = set(re.findall(r"'(sha256-[^']+)'", csp))
    code = [text for attrs, text in page.scripts if attrs.get("type") is None]
    hashes = {"sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()
              for t in code}
    assert len(code) == 5 and hashes == allowed  # uPlot, report, monitors, iterations, boot
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_run_text_cannot_close_the_data_script(store: Store, hostile_run: int) -> None:
    document = run_document(store, hostile_run)
    html = render_html(document)
    page = Page(html)
    data = [text for attrs, text in page.scripts if attrs.get("id") == "swarmdeck-data"]
    assert len(data) == 1 and len(page.scripts) == 6  # the data and our five scripts
    assert "</script" not in data[0] and "<" not in data[0]
    assert json.loads(data[0]) == json.loads(json.dumps(document))  # intact
    names = {row["name"] for row in json.loads(data[0])["endpoints"]}
    assert names == {"/a", SCRIPT_NAME, CLOSING_NAME}
    # no run text anywhere in the markup outside the data
    markup = html.replace(data[0], "")
    for text in (SCRIPT_NAME, CLOSING_NAME, HOSTILE_TAG, HOSTILE_REASON, "__pwned"):
        assert text not in markup


def test_json_for_script_escapes_and_drops_non_finite_numbers() -> None:
    text = json_for_script({"a": "</script><!-- & \u2028", "b": float("nan"), "c": [1.5]})
    assert text == ('{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028",'
                    '"b":null,"c":[1.5]}')
    assert json.loads(text)["a"] == "</script><!-- & \u2028"


def test_a_compare_report_holds_both_runs(store: Store) -> None:
    base = make_run(store, seconds=40, seed=1)
    candidate = make_run(store, seconds=40, seed=2, start=T0 + 3600)
    path = write_html(store, candidate, Path(store.url.split("///")[1]).parent / "c.html",
                      compare_to=base)
    page = Page(path.read_text())
    data = json.loads(next(t for a, t in page.scripts if a.get("id") == "swarmdeck-data"))
    assert data["kind"] == "compare"
    assert (data["base"]["header"]["run_id"], data["candidate"]["header"]["run_id"]) == (
        base, candidate)
    assert data["comparison"]["rows"]


def test_the_file_stays_small(store: Store) -> None:
    run_id = make_run(store, seconds=300, names=tuple(f"/e{i}" for i in range(10)))
    html = render_html(run_document(store, run_id))
    assert len(html.encode()) < 400_000  # 5 min x 10 endpoints: ~55 kB of libraries + data


def test_cli_writes_the_report_and_prints_its_path(store: Store, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    first = make_run(store, seconds=20, shape=False)
    second = make_run(store, seconds=20, shape=False, start=T0 + 600)
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    out = tmp_path / "out" / "r.html"
    assert main(["report", str(first), "-o", str(out), "--db", url]) == 0
    assert str(out) in capsys.readouterr().out
    assert f"run {first} (passed)" in out.read_text()
    out = tmp_path / "cmp.html"
    assert main(["report", "last", "--compare-to", str(first), "-o", str(out),
                 "--db", url]) == 0
    assert f"run {first} vs run {second}" in out.read_text()


def test_cli_unknown_run_is_bad_input(store: Store, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert main(["report", "99", "-o", str(tmp_path / "x.html"), "--db", url]) == 2
    assert "99" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    run_id = make_run(store, seconds=5, shape=False)
    (tmp_path / "dir.html").mkdir()
    assert main(["report", str(run_id), "-o", str(tmp_path / "dir.html"), "--db", url]) == 2
    assert "cannot write the HTML report" in capsys.readouterr().err


def test_run_html_writes_the_report_after_the_run(store: Store, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`swarmdeck run --html PATH`: the report of the run, overlaid with the run it was
    compared with (--compare-to) when its verdict holds a comparison."""
    from types import SimpleNamespace

    from swarmdeck.cli import _write_outputs
    from swarmdeck.report.model import load_report
    from swarmdeck.verdict.comparison import compare_runs

    base = make_run(store, seconds=20, shape=False)
    run_id = make_run(store, seconds=20, shape=False, start=T0 + 600)
    path = tmp_path / "html" / "run.html"
    plan = SimpleNamespace(html_path=path, junit_path=None, markdown_path=None)
    _write_outputs(plan, store, load_report(store, run_id))  # type: ignore[arg-type]
    assert f"run {run_id} (passed)" in path.read_text()
    assert str(path) in capsys.readouterr().err  # stdout may be --json -
    store.record_verdict(run_id, comparison=compare_runs(store, base, run_id))
    _write_outputs(plan, store, load_report(store, run_id))  # type: ignore[arg-type]
    assert f"run {base} vs run {run_id}" in path.read_text()
