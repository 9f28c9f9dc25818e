"""The CI-gate settings: --threshold, --junit/--markdown/--html, --compare-to, --max-regression."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from swarmdeck.analysis.budgets import Budget
from swarmdeck.analysis.thresholds import Threshold
from swarmdeck.errors import ExitCode, PlanError
from swarmdeck.plan import Plan

Resolver = Callable[..., Plan]


def error_of(plan_from: Resolver, argv: list[str] | None = None,
             env: dict[str, str] | None = None, toml: str | None = None) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan_from(argv or [], env=env, toml=toml)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in caught.value.message and caught.value.hint
    return caught.value


def test_no_gates_by_default(plan_from: Resolver) -> None:
    plan = plan_from()
    assert plan.thresholds == () and plan.max_regression == ()
    assert (plan.junit_path, plan.markdown_path, plan.html_path, plan.compare_to) == (
        None, None, None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("p95 < 300ms", Threshold("p95", "<", 300.0)),
    ("p95[30s] < 0.5s", Threshold("p95", "<", 500.0, 30.0)),
    ("GET /api/products: p95 < 200ms", Threshold("p95", "<", 200.0, endpoint="GET /api/products")),
    ("/api/products:p95<200ms", Threshold("p95", "<", 200.0, endpoint="/api/products")),
    ("error_rate < 1% abort", Threshold("error_rate", "<", 0.01, abort=True)),
    ("error_rate < 1% abort=true", Threshold("error_rate", "<", 0.01, abort=True)),
    ("error_rate < 1% abort=false", Threshold("error_rate", "<", 0.01)),
    ("error_rate < 1% abort=10s", Threshold("error_rate", "<", 0.01, abort=True, grace_s=10.0)),
    ("rps > 20 abort grace=1m", Threshold("rps", ">", 20.0, abort=True, grace_s=60.0)),
    # names may hold spaces and colons: the endpoint is everything before the last colon
    ("GET /items/:id view: p99 <= 1s", Threshold("p99", "<=", 1000.0,
                                                 endpoint="GET /items/:id view")),
    ("GET http://x:8000/a: requests > 10", Threshold("requests", ">", 10.0,
                                                    endpoint="GET http://x:8000/a")),
])
def test_threshold_flag_syntax(plan_from: Resolver, text: str, expected: Threshold) -> None:
    plan = plan_from(["--threshold", text])
    assert plan.thresholds == (expected,)
    assert plan.sources["thresholds"] == "--threshold"


def test_threshold_flags_repeat_and_keep_their_order(plan_from: Resolver) -> None:
    plan = plan_from(["--threshold", "p95 < 300ms", "--threshold", "rps > 5",
                      "--threshold", "p95 < 300ms"])
    assert [str(t) for t in plan.thresholds] == ["p95 < 300ms", "rps > 5"]


def test_thresholds_in_the_environment_are_separated_by_semicolons(plan_from: Resolver) -> None:
    plan = plan_from(env={"SWARMDECK_THRESHOLDS": "p95 < 300ms; GET /x: error_rate < 1%"})
    assert plan.thresholds == (Threshold("p95", "<", 300.0),
                               Threshold("error_rate", "<", 0.01, endpoint="GET /x"))


def test_thresholds_in_the_plan_file_as_strings_and_tables(plan_from: Resolver) -> None:
    plan = plan_from(toml='thresholds = ["p95 < 300ms", "/login: p99 < 1s abort"]\n')
    assert plan.thresholds == (Threshold("p95", "<", 300.0),
                               Threshold("p99", "<", 1000.0, endpoint="/login", abort=True))
    plan = plan_from(toml='[[thresholds]]\nexpr = "p95[30s] < 500ms"\n'
                          'endpoint = "GET /api/products: all"\nabort = true\ngrace = "10s"\n'
                          '\n[[thresholds]]\nexpr = "error_rate < 1%"\n')
    assert plan.thresholds == (
        Threshold("p95", "<", 500.0, 30.0, "GET /api/products: all", True, 10.0),
        Threshold("error_rate", "<", 0.01))
    assert plan.sources["thresholds"] == "swarmdeck.toml:1"


def test_flags_replace_the_plan_files_thresholds(plan_from: Resolver) -> None:
    plan = plan_from(["--threshold", "p95 < 500ms"], toml='thresholds = ["p95 < 300ms"]\n')
    assert [str(t) for t in plan.thresholds] == ["p95 < 500ms"]


def test_thresholds_are_stored_with_the_plan(plan_from: Resolver) -> None:
    plan = plan_from(["--threshold", "GET /x: p95 < 300ms abort=5s"])
    assert plan.to_dict()["thresholds"] == [
        {"expr": "p95 < 300ms", "endpoint": "GET /x", "abort": True, "grace_s": 5.0}]


@pytest.mark.parametrize(("text", "message"), [
    ("p95 < 3xx", ("--threshold 'p95 < 3xx': expected a unit ms or s after 3 at column 8, "
                   "found 'xx'")),
    ("GET /x: p59 < 3ms", ("--threshold 'GET /x: p59 < 3ms': expected a metric (p50, p90, "
                           "p95, p99, p99.9, max, avg, error_rate, rps, requests) at column 9, "
                           "found 'p59'; did you mean p95?")),
    ("p95 < 300ms grace=5s", ("--threshold 'p95 < 300ms grace=5s': grace only applies to a "
                              "threshold that aborts the run")),
    (": p95 < 3ms", "--threshold ': p95 < 3ms': expected an endpoint name before ':'"),
    ("p95 < 3ms abort=soon", ("--threshold 'p95 < 3ms abort=soon': expected a grace period "
                              "such as 10s or 1m, got 'soon'")),
    ("   ", "--threshold is an empty threshold"),
])
def test_a_malformed_threshold_names_the_expression(plan_from: Resolver, text: str,
                                                    message: str) -> None:
    assert error_of(plan_from, ["--threshold", text]).message == message


def test_an_endpoint_without_a_colon_gets_a_hint(plan_from: Resolver) -> None:
    error = error_of(plan_from, ["--threshold", "GET /x p95 < 300ms"])
    assert error.hint == "for one endpoint write 'NAME: EXPRESSION', e.g. 'GET /x: p95 < 300ms'"


def test_a_malformed_threshold_in_the_environment_names_the_variable(plan_from: Resolver) -> None:
    error = error_of(plan_from, env={"SWARMDECK_THRESHOLDS": "p95 < 300ms;rps > 5/s"})
    assert error.message.startswith("SWARMDECK_THRESHOLDS 'rps > 5/s': expected the end")


@pytest.mark.parametrize(("toml", "message"), [
    ('users = 1\nthresholds = ["p95 < 300ms", "p95 <"]\n',
     ("'thresholds[1]' in swarmdeck.toml:2 'p95 <': expected a number after < at column 6, "
      "found end of text")),
    ('[[thresholds]]\nexpr = "p95 < 1ms"\n\n[[thresholds]]\nendpoint = "/x"\n',
     "'thresholds[1].expr' in swarmdeck.toml:4 needs expr = \"METRIC OP VALUE\", got None"),
    ('[[thresholds]]\nexpr = "p95 < 1ms"\ngrace = "5s"\n',
     ("'thresholds[0].grace' in swarmdeck.toml:3 grace only applies to a threshold that "
      "aborts the run")),
    ('[[thresholds]]\nexpr = "p95 < 1ms"\nabort = "yes"\n',
     "'thresholds[0].abort' in swarmdeck.toml:3 abort must be true or false, got 'yes'"),
    ('[[thresholds]]\nexpr = "/y: p95 < 1ms"\nendpoint = "/x"\n',
     ("'thresholds[0].expr' in swarmdeck.toml:2 '/y: p95 < 1ms' names an endpoint and so "
      "does endpoint = '/x'")),
    ('[[thresholds]]\nexpr = "p95 < 1ms"\nabrot = true\n',
     "unknown key 'thresholds[0].abrot' in swarmdeck.toml:3"),
    ("thresholds = 300\n", ("'thresholds' in swarmdeck.toml:1 must be a list of threshold "
                            "expressions, got 300")),
])
def test_a_malformed_threshold_in_the_plan_file_names_file_and_line(
        plan_from: Resolver, toml: str, message: str) -> None:
    assert error_of(plan_from, toml=toml).message == message


def test_output_paths(plan_from: Resolver, tmp_path: Path) -> None:
    plan = plan_from(["--junit", "out/junit.xml", "--html", "r.html"],
                     env={"SWARMDECK_MARKDOWN": "summary.md"})
    assert plan.junit_path == tmp_path / "out" / "junit.xml"
    assert plan.markdown_path == tmp_path / "summary.md"
    assert plan.html_path == tmp_path / "r.html"
    sub = tmp_path / "ci"
    sub.mkdir()
    (sub / "swarmdeck.toml").write_text('junit = "reports/j.xml"\n')
    plan = plan_from(["--plan", "ci/swarmdeck.toml"])
    assert plan.junit_path == sub / "reports" / "j.xml"


@pytest.mark.parametrize("ref", ["42", "last", "baseline:main", "baseline:release-1.2_rc"])
def test_compare_to_takes_a_run_a_baseline_or_last(plan_from: Resolver, ref: str) -> None:
    assert plan_from(["--compare-to", ref]).compare_to == ref


def test_compare_to_in_the_plan_file_may_be_a_number(plan_from: Resolver) -> None:
    assert plan_from(toml="compare_to = 7\n").compare_to == "7"


@pytest.mark.parametrize("ref", ["0", "-3", "baseline:", "latest", "baseline:a b", "run:4"])
def test_a_bad_compare_to_says_what_is_expected(plan_from: Resolver, ref: str) -> None:
    error = error_of(plan_from, ["--compare-to", ref])
    assert error.message == f"--compare-to must be a run id, last or baseline:NAME, got {ref!r}"


def test_max_regression_flags_env_and_file(plan_from: Resolver) -> None:
    plan = plan_from(["--max-regression", "p95=+10%", "--max-regression", "rps=-5%"])
    assert plan.max_regression == (Budget("p95", 0.10), Budget("rps", 0.05))
    plan = plan_from(env={"SWARMDECK_MAX_REGRESSION": "p99=+20%,error_rate=+1pp"})
    assert [str(b) for b in plan.max_regression] == ["p99=+20%", "error_rate=+1pp"]
    plan = plan_from(toml='max_regression = ["p50=+5%"]\n')
    assert plan.max_regression == (Budget("p50", 0.05),)
    assert plan.to_dict()["max_regression"] == ["p50=+5%"]


def test_a_later_budget_for_the_same_metric_wins(plan_from: Resolver) -> None:
    plan = plan_from(["--max-regression", "p95=+10%", "--max-regression", "p95=+20%"])
    assert plan.max_regression == (Budget("p95", 0.20),)


def test_a_bad_budget_names_the_flag_and_the_text(plan_from: Resolver) -> None:
    error = error_of(plan_from, ["--max-regression", "rps=+5%"])
    assert error.message == ("--max-regression 'rps=+5%': a budget limits how much worse rps "
                             "may get, which is a drop")
    assert error.hint == "write rps=-5%"
    error = error_of(plan_from, toml='max_regression = ["p95=+10%", "p95 < 10%"]\n')
    assert error.message.startswith("'max_regression[1]' in swarmdeck.toml:1 'p95 < 10%': "
                                    "expected METRIC=CHANGE")
