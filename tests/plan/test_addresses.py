"""The one HOST:PORT parser (run --master-bind, worker --master, serve --bind) and the one
URL-password masker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from swarmdeck.plan import HostPort, Invalid, Plan, mask_url, parse_host_port


@pytest.mark.parametrize(("text", "expected", "shown"), [
    ("127.0.0.1:5557", HostPort("127.0.0.1", 5557), "127.0.0.1:5557"),
    ("0.0.0.0:1", HostPort("0.0.0.0", 1), "0.0.0.0:1"),
    (" 10.0.0.5:65535 ", HostPort("10.0.0.5", 65535), "10.0.0.5:65535"),
    ("localhost:8089", HostPort("localhost", 8089), "localhost:8089"),
    ("swarmdeck-master:5557", HostPort("swarmdeck-master", 5557), "swarmdeck-master:5557"),
    ("master.example.com:5557", HostPort("master.example.com", 5557),
     "master.example.com:5557"),
    ("*:5557", HostPort("*", 5557), "*:5557"),  # every address, as Locust's master takes it
    ("[::1]:5557", HostPort("::1", 5557), "[::1]:5557"),
    ("[2001:db8::7]:80", HostPort("2001:db8::7", 80), "[2001:db8::7]:80"),
    ("::1:5557", HostPort("::1", 5557), "[::1]:5557"),  # the last : starts the port
])
def test_accepted_addresses(text: str, expected: HostPort, shown: str) -> None:
    assert parse_host_port(text) == expected
    assert str(expected) == shown
    assert parse_host_port(shown) == expected


@pytest.mark.parametrize("value", [
    "5557", ":5557", "host:", "host:0", "host:65536", "host:http", "host:+1", "host:-1",
    "http://host:5557", "host name:5557", "host/x:5557", "[host]:5557",
    "[::1]", "[::1:5557", "1.2.3.4::5557x", "", 5557, None, True,
])
def test_refused_addresses(value: object) -> None:
    with pytest.raises(Invalid):
        parse_host_port(value)


def listen(text: str) -> HostPort:
    return parse_host_port(text, ip_only=True, any_port=True)


def test_a_listening_address_is_an_ip_and_may_take_any_port() -> None:
    assert listen("127.0.0.1:0") == HostPort("127.0.0.1", 0)
    assert listen("[::1]:0") == HostPort("::1", 0)
    assert listen("localhost:8089") == HostPort("localhost", 8089)
    for text in ("example.com:80", "*:80", "swarmdeck-master:5557"):
        with pytest.raises(Invalid, match="IP address"):
            listen(text)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("10.0.0.5", False), ("::", False), ("*", False),
    ("swarmdeck-master", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert HostPort(host, 1).loopback is loopback


def test_the_run_plan_holds_a_parsed_master_bind(plan_from: Callable[..., Plan]) -> None:
    plan = plan_from(["--master-bind", "[::1]:6000"])
    assert plan.master_bind == HostPort("::1", 6000)
    assert plan.to_dict()["master_bind"] == "[::1]:6000"
    default = plan_from()
    assert default.master_bind == HostPort("127.0.0.1", 5557)
    assert default.to_dict()["master_bind"] == "127.0.0.1:5557"  # as runs always stored it


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://swarm:s3cret@db:5432/runs",
     "postgresql+psycopg://swarm:***@db:5432/runs"),
    ("postgresql://u:p@h/db", "postgresql://u:***@h/db"),
    ("mysql+nosuchdriver://u:p@h/db", "mysql+nosuchdriver://u:***@h/db"),
    ("postgresql+psycopg://u:p@h:notaport/db", "postgresql+psycopg://u:***@h:notaport/db"),
    ("postgresql://u:p@ss/w@rd@h/db?sslmode=require",  # unencoded @ and / in the password
     "postgresql://u:***@h/db?sslmode=require"),
    ("postgresql://u:p@h/db?application_name=a@b", "postgresql://u:***@h/db?application_name=a@b"),
    ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
    ("postgresql://h:5432/db", "postgresql://h:5432/db"),
    ("sqlite:///runs/a:b@c.db", "sqlite:///runs/a:b@c.db"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
    ("not a url", "not a url"),
    ("postgresql://u@h/db?password=s3cret&sslmode=require",  # libpq's query form
     "postgresql://u@h/db?password=***&sslmode=require"),
    ("postgresql://u:p@h/db?sslmode=require&PASSWORD=x",
     "postgresql://u:***@h/db?sslmode=require&PASSWORD=***"),
    ("postgresql://u@h/db?application_name=password=x",
     "postgresql://u@h/db?application_name=password=x"),
    ("agent://:t0ken@10.0.0.5:9118", "agent://:***@10.0.0.5:9118"),
    ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
    ("prometheus+http://h:9100/metrics?token=abc", "prometheus+http://h:9100/metrics?token=***"),
])
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_one_masker_for_the_store_and_the_plan(plan_from: Callable[..., Plan]) -> None:
    plan = plan_from(["--db", "postgresql+psycopg://swarm:s3cret@db/runs"])
    assert plan.to_dict()["db_url"] == "postgresql+psycopg://swarm:***@db/runs"
