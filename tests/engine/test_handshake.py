"""The master's verdict on a worker's hello: token and versions."""

from __future__ import annotations

from swarmdeck.engine.handshake import Versions, check_hello, version_mismatch

MASTER = Versions("0.1.0", "2.47.0")


def hello(**over: object) -> dict[str, object]:
    return {"token": "s3cret", "swarmdeck": "0.1.0", "locust": "2.47.0", "region": "eu",
            **over}


def test_a_matching_worker_is_welcomed() -> None:
    assert check_hello(hello(), "s3cret", MASTER) is None
    assert check_hello(hello(token=None), None, MASTER) is None  # no token set: none needed


def test_wrong_or_missing_token_is_refused() -> None:
    assert check_hello(hello(token="guess"), "s3cret", MASTER) == "wrong or missing token"
    assert check_hello(hello(token=None), "s3cret", MASTER) == "missing token"


def test_version_mismatch_names_both_sides() -> None:
    reason = check_hello(hello(locust="2.40.0"), "s3cret", MASTER)
    assert reason == ("version mismatch: the master runs swarmdeck 0.1.0 / Locust 2.47.0, "
                      "this worker swarmdeck 0.1.0 / Locust 2.40.0")
    assert version_mismatch(MASTER, Versions("0.2.0", "2.47.0")) is not None


def test_malformed_hello_is_refused() -> None:
    assert check_hello("hello", None, MASTER) == "malformed hello"
