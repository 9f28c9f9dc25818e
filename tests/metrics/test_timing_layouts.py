"""Server-Timing values read by layout and in bulk: whatever path a batch takes, what is
recorded is what parsing each value with the general parser and adding it gives."""

from __future__ import annotations

import random
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics import timing_layouts
from swarmdeck.metrics.decimals import MAX_DIGITS
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.metrics.timing_header import parse
from swarmdeck.metrics.timing_layouts import BULK_MIN, read, shape_of

# what the Flask extension sends (docs/server-timing.md), the durations left as slots
EXTENSION = ('app;dur={}, db;dur={};desc="17 queries", tpl;dur={};desc="1 template", '
             'sql-slow;dur={};desc="#a11ca08a SELECT products.id, products.category_id, ... '
             'FROM products WHERE products.featured IS ?", sql-repeat;dur={};desc="8x #07c790bc '
             'SELECT reviews.id, reviews.product_id, ... FROM reviews WHERE ? = '
             'reviews.product_id"')


def reference(values: list[str], client_ms: float = 0.0) -> ServerTiming:
    """What add_headers must give: each value parsed and recorded one by one."""
    timing = ServerTiming()
    for value in values:
        timing.add(parse(value), 0.0)
    if timing.responses:
        timing._client_us += int(client_ms * 1000.0 + 0.5)
    return timing


def recorded(values: list[str], client_ms: float = 0.0) -> ServerTiming:
    timing = ServerTiming()
    timing.add_headers(values, client_ms)
    return timing


def extension(rng: random.Random, n: int, queries: int = 17) -> list[str]:
    return [EXTENSION.replace("17 queries", f"{queries} queries").format(
        *(f"{rng.uniform(0, 80):.{rng.randint(0, 3)}f}" for _ in range(5))) for _ in range(n)]


def test_the_extension_s_headers_are_read_in_bulk() -> None:
    values = extension(random.Random(1), 200)
    groups = read(values)
    assert len(groups) == 1 and groups[0].responses == 200
    assert all(isinstance(column, np.ndarray) for column in groups[0].durations)
    assert recorded(values, 2000.0) == reference(values, 2000.0)


def test_several_layouts_are_read_in_bulk_each() -> None:
    rng = random.Random(2)
    values = extension(rng, 40, 17) + extension(rng, 40, 18) + ["cdn;desc=HIT"] * 20
    assert BULK_MIN <= 80
    rng.shuffle(values)
    groups = read(values)  # the 20 without a duration are too few for numpy: by layout
    assert sorted(group.responses for group in groups) == [20, 40, 40]
    assert all(isinstance(column, np.ndarray) for group in groups if group.responses == 40
               for column in group.durations)
    assert recorded(values) == reference(values)


def test_values_that_are_not_plain_are_read_one_by_one() -> None:
    rng = random.Random(3)
    values = extension(rng, 30)
    values[7] = values[7].replace("app;dur=", "app;dur=1e", 1)  # an exponent: not plain
    values[9] = values[9].replace("db;dur=", "db;dur=-", 1)  # negative: left out
    values[11] = values[11].replace("tpl;dur=", "tpl;dur= ", 1)
    assert recorded(values) == reference(values)
    assert sum(group.responses for group in read(values)) == 30


def test_a_dur_inside_a_desc_is_no_number() -> None:
    value = 'a;dur=1;desc="b;dur=2", c;desc="dur=3"'
    values = [value.replace("1", str(i)) for i in range(BULK_MIN + 4)]
    assert recorded(values) == reference(values)


def test_layouts_past_the_cap_of_names_keep_the_first_names() -> None:
    rng = random.Random(4)
    first = ", ".join(f"m{i};dur={{}}" for i in range(10))
    second = ", ".join(f"n{i};dur={{}};desc=\"x{i}\"" for i in range(10))
    values = [(first if rng.random() < 0.5 else second).format(
        *(rng.randint(0, 99) for _ in range(10))) for _ in range(100)]
    timing = recorded(values)
    assert timing == reference(values) and timing.dropped > 0


# -- property: random batches of a few layouts ----------------------------------------

SLOT = "\x01"  # where a layout takes a number
TOKENS = st.sampled_from(["app", "db", "tpl", "x", "cdn-cache", "APP", "sql-repeat"])
PLAIN = st.from_regex(r"[0-9]{1,6}(\.[0-9]{0,4})?|\.[0-9]{1,3}", fullmatch=True)
ODD = st.sampled_from(["1e3", " 2", "-1", "", "1.2.3", "9" * 20, "nan", "0x10", "3 ", "1_0"])
DUR_PARAMS = st.sampled_from([f"dur={SLOT}", f"dur={SLOT}", f"DUR={SLOT}", f"dur = {SLOT}",
                              "dur=5", 'dur="4"', "dur=abc"])
DESCS = st.sampled_from(['"23 queries"', '"1 query"', "HIT", '"a, b; c"', '"say \\"x\\""',
                         '"20x #3f2a9c1b SELECT 1"', '"unterminated', "", '"7"',
                         '"x;dur=5"', '"a; DUR = 2, b"', '"dur=6"', "MISS", '"q\ndur=1"'])


@st.composite
def layouts(draw: st.DrawFn) -> str:
    metrics = []
    for _ in range(draw(st.integers(0, 5))):
        params = [draw(DUR_PARAMS) for _ in range(draw(st.integers(0, 2)))]
        params += [f"{draw(st.sampled_from(['desc', 'DESC']))}={draw(DESCS)}"
                   for _ in range(draw(st.integers(0, 2)))]
        params = draw(st.permutations(params))
        metrics.append(draw(TOKENS) + "".join(f"{draw(st.sampled_from(['', ' ']))};{p}"
                                              for p in params))
    return draw(st.sampled_from([", ", ",", " , "])).join(metrics)


@st.composite
def batches(draw: st.DrawFn) -> list[str]:
    """Mostly values of a few layouts with plain numbers; now and then an odd number."""
    templates = draw(st.lists(layouts(), min_size=1, max_size=3))
    odd = draw(st.sampled_from([0.0, 0.0, 0.05]))
    values = []
    for _ in range(draw(st.integers(BULK_MIN, 3 * BULK_MIN))):
        value = draw(st.sampled_from(templates))
        while SLOT in value:
            number = draw(ODD) if draw(st.floats(0, 1)) < odd else draw(PLAIN)
            value = value.replace(SLOT, number, 1)
        values.append(value)
    return values


@given(batches())
@settings(max_examples=150, deadline=None)
def test_batches_record_what_parsing_each_value_records(values: list[str]) -> None:
    assert recorded(values, 123.4) == reference(values, 123.4)


@given(batches())
@settings(max_examples=100, deadline=None)
def test_a_shape_s_numbers_are_the_layout_s_numbers(values: list[str]) -> None:
    """Where a value has a shape, the bulk reader gives the durations the general layout
    split gives, as float() reads them."""
    for value in values:
        shape = shape_of(value)  # the shape of values like it: their numbers may not be plain
        if shape is None:
            continue
        ms = timing_layouts.read_shape(shape, [value])
        key, entries, numbers = timing_layouts.layout(value)
        # (a value with an empty number, 'x;dur=;...', shares its shape's cache key with
        # 'x;dur=5;...': it has fewer numbers than the shape, and is read by layout)
        if len(numbers) == len(shape.rests) and all(
                re.fullmatch(r"(?=.*[0-9])[0-9]*\.?[0-9]*", n) and
               sum(c in "0123456789" for c in n) <= MAX_DIGITS for n in numbers):
            assert key is not None and entries == shape.entries and ms is not None
            assert [x.hex() for x in ms[0]] == [float(n).hex() for n in numbers]
        else:  # a number not plain: read by layout
            assert ms is None


def test_a_layout_read_once_holds_for_its_other_values() -> None:
    """The layout's entries come from its first value; they must hold for the next ones:
    a blank dur before a quote is a quoted dur (';dur="4"'), a number is none ('dur=5"4"'),
    and a number inside a desc changes the desc."""
    for first, then in [
        ('a;dur=4"4";dur=4, b;dur=1', 'a;dur="4";dur=0, b;dur=1'),
        ('a;dur= "4";dur=4', 'a;dur=5"4";dur=4'),
        ('a;desc="x;dur=0"', 'a;desc="x;dur=7"'),
        ('a;dur=3;desc="x;dur=1"', 'a;dur=3;desc="x;dur=2"'),
    ]:
        timing_layouts._LAYOUTS.clear()
        assert recorded([first, then]) == reference([first, then])
        assert recorded([then]) == reference([then])
