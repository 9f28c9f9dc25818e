"""The description text the extension quotes into its header (pure, property-tested)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.flask.header import MAX_DESC, quote
from swarmdeck.metrics.timing_header import parse


def reference(desc: str) -> str:
    """The quoting the rule states, character by character."""
    out = []
    for c in desc[:MAX_DESC]:
        if ord(c) >= 256:
            out.append("?")
        elif c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=260))  # any code point, surrogates too
def test_a_desc_is_quoted_character_by_character_as_the_rule_says(desc: str) -> None:
    quoted = quote(desc)
    assert quoted == reference(desc)
    assert quote(desc) == quoted  # the cache answers the same
    assert not re.search(r'(?<!\\)"', quoted.replace("\\\\", ""))
    (metric,) = parse(f'db;desc="{quoted}"')  # and a reader gets the text back
    assert metric.desc == re.sub(r"\\(.)", r"\1", quoted)
