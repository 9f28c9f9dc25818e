"""A SPEC parses into the source it names, or is refused with what is wrong."""

from __future__ import annotations

import pytest

from swarmdeck.monitors import SpecError, parse_spec, split_specs


@pytest.mark.parametrize(("text", "kind", "check"), [
    ("process:1234", "process", {"pid": 1234}),
    ("process:/run/gunicorn.pid", "process", {"pidfile": "/run/gunicorn.pid"}),
    ("statsd://127.0.0.1:8125", "statsd", {"host": "127.0.0.1", "port": 8125}),
    ("statsd://127.0.0.1:8125?workers=4", "statsd", {"workers": 4}),
    ("postgresql://app:s3cret@db:5432/shop", "postgresql",
     {"url": "postgresql://app:s3cret@db:5432/shop"}),
    ("postgres://app@db/shop", "postgresql", {"url": "postgresql://app@db/shop"}),
    ("postgresql+psycopg://app@db/shop", "postgresql", {"url": "postgresql://app@db/shop"}),
    ("redis://127.0.0.1:6379/0", "redis", {"port": 6379}),
    ("prometheus+http://127.0.0.1:9100/metrics?metric=a&metric=b,c", "prometheus",
     {"url": "http://127.0.0.1:9100/metrics", "metrics": ("a", "b", "c")}),
    ("prometheus+http://h:9100/metrics?max=5", "prometheus", {"max_series": 5}),
    ("agent://:t0k@10.0.0.5:9118", "agent", {"host": "10.0.0.5", "port": 9118, "token": "t0k"}),
    ("db2=postgresql://u@h/x?sslmode=disable", "postgresql", {"name": "db2"}),
    ("api=process:77", "process", {"name": "api", "pid": 77}),
])
def test_specs_parse(text: str, kind: str, check: dict[str, object]) -> None:
    spec = parse_spec(text)
    assert spec.kind == kind
    for key, value in check.items():
        assert getattr(spec, key) == value


def test_a_name_prefixes_the_series_and_the_password_never_shows() -> None:
    spec = parse_spec("main=postgresql://app:s3cret@db/shop?password=other")
    assert spec.prefix == "main."
    assert "s3cret" not in spec.shown and "other" not in spec.shown
    assert "s3cret" not in repr(spec.to_dict())
    assert "t0k" not in parse_spec("agent://:t0k@h:1").shown


@pytest.mark.parametrize(("text", "says"), [
    ("", "is empty"),
    ("process:", "needs a PID"),
    ("process:-3", "1 or more"),
    ("statsd://127.0.0.1", "with a port"),
    ("statsd://127.0.0.1:8125?workers=zero", "workers must be"),
    ("statsd://127.0.0.1:8125?flush=1", "unknown parameter"),
    ("mysql://u@h/db", "not a monitor source"),
    ("cpu", "not a monitor source"),
    ("redis://h:6379/zero", "database must be a number"),
    ("agent://h", "needs a host and a port"),
    ("prometheus+http://h:1/m?metrics=x", "unknown parameter"),
    ("postgresql://u:pw@h:notaport/db", "not a valid URL"),
])
def test_malformed_specs_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    assert says in str(caught.value)
    assert "pw" not in str(caught.value)


def test_the_environment_separates_specs_by_semicolons_or_spaces() -> None:
    assert split_specs("process:1; statsd://127.0.0.1:8125  redis://h:1/0") == [
        "process:1", "statsd://127.0.0.1:8125", "redis://h:1/0"]
