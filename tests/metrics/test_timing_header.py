"""The Server-Timing parser against the W3C grammar: written metrics read back, in any
parameter order and spacing; malformed headers never raise and give only valid metrics."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics import timing_header
from swarmdeck.metrics.timing_header import MAX_LENGTH, MAX_METRICS, TimingMetric, parse

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(TOKEN_CHARS, min_size=1, max_size=20)
durations = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
# what a desc may say: printable Latin-1, commas, semicolons, quotes and backslashes included
descs = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                max_size=60)
spaces = st.sampled_from(["", " ", "  ", "\t"])


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def metric_texts(draw: st.DrawFn) -> tuple[TimingMetric, str]:
    """A metric and one way of writing it: dur and desc in either order, among unknown
    parameters, with optional whitespace, desc quoted or (when it is a token) not."""
    name = draw(names)
    dur = draw(st.none() | durations)
    desc = draw(st.none() | descs)
    params = []
    if dur is not None:
        params.append(f"dur{draw(spaces)}={draw(spaces)}{dur!r}")
    if desc is not None:
        token = bool(desc) and all(c in TOKEN_CHARS for c in desc)
        value = desc if token and draw(st.booleans()) else quoted(desc)
        params.append(f"{draw(st.sampled_from(['desc', 'DESC', 'Desc']))}="
                      f"{value}")
    params += [f"x{i}={draw(st.sampled_from(['1', 'abc', quoted('a, b; c')]))}"
               for i in range(draw(st.integers(0, 2)))]
    params = draw(st.permutations(params))
    text = name + "".join(f"{draw(spaces)};{draw(spaces)}{p}" for p in params)
    return TimingMetric(name, dur, desc), text


@given(st.lists(metric_texts(), min_size=1, max_size=40), spaces)
@settings(max_examples=300)
def test_what_is_written_is_read(metrics: list[tuple[TimingMetric, str]], space: str) -> None:
    value = f"{space},{space}".join(text for _, text in metrics)
    assert parse(value) == [metric for metric, _ in metrics]


def test_the_extension_s_header() -> None:
    value = ('app;dur=41.2, db;dur=30.5;desc="23 queries", tpl;dur=6.1, queue;dur=0.4, '
             'sql-repeat;dur=25;desc="20x #3f2a9c1b SELECT a, b FROM t WHERE id = ?"')
    assert parse(value) == [
        TimingMetric("app", 41.2), TimingMetric("db", 30.5, "23 queries"),
        TimingMetric("tpl", 6.1), TimingMetric("queue", 0.4),
        TimingMetric("sql-repeat", 25.0, "20x #3f2a9c1b SELECT a, b FROM t WHERE id = ?")]


def test_other_servers() -> None:
    # Rails (ActiveSupport::Notifications), a CDN edge, a metric without parameters
    assert parse("sql.active_record;dur=5.3, render_template.action_view;dur=12") == [
        TimingMetric("sql.active_record", 5.3), TimingMetric("render_template.action_view", 12)]
    assert parse('cdn-cache;desc=HIT, edge;dur=4, miss') == [
        TimingMetric("cdn-cache", None, "HIT"), TimingMetric("edge", 4.0),
        TimingMetric("miss")]


def test_bad_values_are_left_out_and_the_metric_kept() -> None:
    assert parse("a;dur=abc, b;dur=-1, c;dur=inf, d;dur=nan, e;dur=1e400, f;dur") == [
        TimingMetric(n) for n in "abcdef"]
    assert parse("a;dur=1;dur=2;desc=x;desc=y") == [TimingMetric("a", 1.0, "x")]  # first wins
    assert parse('a;desc="x"y, b;desc="unterminated') == [TimingMetric("a"), TimingMetric("b")]
    assert parse('bad name;dur=1, "q";dur=2, ;dur=3, ok;dur=4') == [TimingMetric("ok", 4.0)]
    assert parse("") == [] and parse(" , ,") == []


def test_escapes_in_quoted_descs() -> None:
    assert parse(r'a;desc="say \"hi\", \\ then, go"') == [
        TimingMetric("a", None, 'say "hi", \\ then, go')]


def test_huge_headers_are_capped() -> None:
    many = ", ".join(f"m{i};dur={i}" for i in range(1000))
    assert len(parse(many)) == MAX_METRICS
    long_desc = "a;dur=1, b;desc=" + quoted("x" * (2 * MAX_LENGTH)) + ", c;dur=3"
    assert parse(long_desc) == [TimingMetric("a", 1.0)]  # cut before the metric it breaks
    padded = "a;dur=1, " + "b;dur=2, " * (MAX_LENGTH // 9) + "z;dur=3"
    metrics = parse(padded)
    assert metrics[0] == TimingMetric("a", 1.0) and "z" not in {m.name for m in metrics}


@given(st.text(max_size=300) | st.text('ab;=,"\\ 1.', max_size=200))
@settings(max_examples=500)
def test_anything_parses_to_valid_metrics(value: str) -> None:
    metrics = parse(value)
    assert len(metrics) <= MAX_METRICS
    for metric in metrics:
        assert metric.name and all(c in TOKEN_CHARS for c in metric.name)
        assert metric.dur_ms is None or (math.isfinite(metric.dur_ms) and metric.dur_ms >= 0)


@given(st.text('ab;=, "1.x', max_size=120))
@settings(max_examples=500)
def test_the_fast_path_reads_as_the_scanner(value: str) -> None:
    """Headers without escapes and with whole quoted-strings take a split-based path;
    it must read them as the general regex scanner does."""
    if value.count('"') % 2 == 0:
        assert parse(value) == timing_header._parse_scanned(value)
