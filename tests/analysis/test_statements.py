"""A statement as swarmdeck's Flask extension names it, found in what pg_stat_statements
counted: PostgreSQL's ``$n`` parameters, white space and case do not matter, a select list
the extension cut still matches, and a different statement does not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.analysis.statements import comparable, pg_statement
from swarmdeck.records.monitors import TOP_QUERY_TEXT, TopQuery

ORDERS_PG = ("SELECT orders.id, orders.status, orders.total_cents, orders.created_at\n"
             "FROM orders \nWHERE orders.created_at >= $1 ORDER BY orders.created_at LIMIT $2")
ORDERS_SHAPE = ("SELECT orders.id, orders.status, ... FROM orders WHERE orders.created_at >= ? "
                "ORDER BY orders.created_at LIMIT ?")


def top(text: str, total_ms: float = 1000.0, calls: int = 10) -> TopQuery:
    return TopQuery(query=text, calls=calls, total_ms=total_ms, mean_ms=total_ms / calls,
                    rows=calls)


def test_the_extension_s_brief_shape_finds_postgresql_s_statement() -> None:
    other = top("SELECT orders.id, orders.status FROM orders WHERE orders.id = $1", 5000.0)
    found = pg_statement(ORDERS_SHAPE, [other, top(ORDERS_PG)])
    assert found is not None and found.query == ORDERS_PG


def test_a_whole_shape_matches_exactly_and_in_lists_fold() -> None:
    pg = top("select * from products where products.id IN ($1, $2, $3)")
    assert pg_statement("SELECT * FROM products WHERE products.id IN (?)", [pg]) == pg
    assert pg_statement("SELECT * FROM products WHERE products.sku IN (?)", [pg]) is None


def test_of_several_entries_of_one_shape_the_costliest() -> None:
    small, big = top(ORDERS_PG, 10.0), top(ORDERS_PG.replace("\n", " "), 900.0)
    assert pg_statement(ORDERS_SHAPE, [small, big]) == big


def test_a_text_the_monitor_cut_matches_on_its_beginning() -> None:
    long_pg = "SELECT a.x, a.y, " + ", ".join(f"a.c{i}" for i in range(200)) + " FROM a"
    cut = top(long_pg[:TOP_QUERY_TEXT])
    assert pg_statement("SELECT a.x, a.y, ... FROM a", [cut]) == cut
    assert pg_statement("SELECT a.x, a.z, ... FROM a", [cut]) is None


def test_nothing_to_match_is_none() -> None:
    assert pg_statement(None, [top(ORDERS_PG)]) is None
    assert pg_statement(ORDERS_SHAPE, []) is None


@given(st.lists(st.sampled_from(["SELECT", "a.b", "$1", "?", "=", "FROM", "t", " ", "\n",
                                 "\t", "(", ")", ","]), max_size=30))
def test_comparable_is_idempotent_and_has_no_pg_parameters(parts: list[str]) -> None:
    once = comparable(" ".join(parts))
    assert comparable(once) == once
    assert "$1" not in once and "\n" not in once and "  " not in once
