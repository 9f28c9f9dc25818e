"""The endpoint each request is recorded under: grouped templates with the names they
absorbed, the cap as the last resort, the cache of the hot path, and the merge of workers'
groups on the master."""

from __future__ import annotations

import random

import msgpack  # type: ignore[import-untyped]

from swarmdeck.engine.endpoints import SAMPLES, EndpointNames
from swarmdeck.engine.naming import LEARN_AFTER
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.interval import OTHER_NAME
from swarmdeck.records import NameGroup


def test_grouped_names_keep_every_request_and_their_exact_histogram() -> None:
    recorder = Recorder(clock=lambda: 100.0)
    ids = random.Random(3).sample(range(1, 10**9), 300)
    for i, item in enumerate(ids):
        recorder.on_request("GET", f"/anything/items/{item}", float(1 + i % 50), 10)
    recorder.on_request("GET", "/blog", 5.0, 10)
    rows = {i.name: i for i in recorder.take_all()}
    assert set(rows) == {"/anything/items/{id}", "/blog"}
    grouped = rows["/anything/items/{id}"]
    assert grouped.requests == grouped.histogram.count == 300
    assert grouped.histogram.max_us == 50_000 and grouped.histogram.min_us == 1_000
    (group,) = recorder.names.groups()
    assert (group.method, group.template) == ("GET", "/anything/items/{id}")
    assert not group.exact and abs(group.names - 300) <= 30  # estimated beyond 256 names
    assert len(group.samples) == SAMPLES
    assert group.samples[0] == f"/anything/items/{ids[0]}"


def test_a_group_counts_distinct_names_once() -> None:
    names = EndpointNames()
    for _ in range(3):
        for i in range(40):
            names.endpoint("GET", f"/p/{i}")
        names.cache.clear()  # a full cache starts over: names come back as new
    (group,) = names.groups()
    assert group == NameGroup("GET", "/p/{id}", 40, True,
                              tuple(f"/p/{i}" for i in range(SAMPLES)))


def test_methods_are_apart_and_ungrouped_names_are_not_groups() -> None:
    names = EndpointNames()
    assert names.endpoint("GET", "/items/1") == "/items/{id}"
    assert names.endpoint("DELETE", "/items/2") == "/items/{id}"
    assert names.endpoint("GET", "/blog") == "/blog"
    assert names.endpoint("GET", "checkout") == "checkout"
    assert [(g.method, g.template, g.names) for g in names.groups()] == [
        ("DELETE", "/items/{id}", 1), ("GET", "/items/{id}", 1)]


def test_grouping_off_records_names_as_locust_reports_them() -> None:
    names = EndpointNames(group=False)
    assert names.endpoint("GET", "/items/1") == "/items/1"
    assert names.groups() == ()


def test_distinct_endpoints_after_grouping_stay_under_the_cap() -> None:
    names = EndpointNames(max_names=3)
    for i in range(1000):
        assert names.endpoint("GET", f"/items/{i}") == "/items/{id}"
    assert names.endpoint("GET", "/a") == "/a"
    assert names.endpoint("GET", "/b") == "/b"
    assert names.endpoint("GET", "/c") == OTHER_NAME  # the last resort
    assert names.endpoint("GET", "/items/5000") == "/items/{id}"  # an admitted template
    assert names.folded == 1


def test_learning_a_position_drops_the_cached_names() -> None:
    names = EndpointNames()
    words = [f"/tags/{chr(97 + i)}{chr(97 + i)}" for i in range(LEARN_AFTER + 1)]
    assert [names.endpoint("GET", w) for w in words[:-1]] == words[:-1]
    assert names.endpoint("GET", words[-1]) == "/tags/{id}"
    assert names.cache == {("GET", words[-1]): "/tags/{id}"}  # earlier answers are stale
    assert names.endpoint("GET", words[0]) == "/tags/{id}"  # from now on, the template
    (group,) = names.groups()
    assert (group.template, group.names) == ("/tags/{id}", 2)


def test_the_cache_is_bounded() -> None:
    names = EndpointNames(cache_size=100)
    for i in range(1000):
        names.endpoint("GET", f"/items/{i}")
        assert len(names.cache) <= 100


def test_the_recorder_reads_the_shared_cache() -> None:
    names = EndpointNames()
    recorder = Recorder(names=names, clock=lambda: 5.0)
    recorder.on_request("GET", "/items/9", 1.0, 0)
    assert names.cache[("GET", "/items/9")] == "/items/{id}"
    names.cache.clear()  # the recorder holds the same dict, never a stale copy
    recorder.on_request("GET", "/items/9", 1.0, 0)
    assert [(i.name, i.requests) for i in recorder.take_all()] == [("/items/{id}", 2)]


def through_the_wire(names: EndpointNames) -> object:
    """As Locust's worker reports carry it: msgpack."""
    return msgpack.unpackb(msgpack.packb(names.snapshot(), use_bin_type=True), raw=False)


def test_the_master_merges_its_workers_groups() -> None:
    one, two, master = EndpointNames(), EndpointNames(), EndpointNames()
    for i in range(30):
        one.endpoint("GET", f"/items/{i}")  # 0..29
        two.endpoint("GET", f"/items/{i + 20}")  # 20..49: 10 names seen by both
    two.endpoint("POST", "/carts/7f3a9c2e1b4d")
    for worker in range(500):  # a big group: estimated
        two.endpoint("GET", f"/users/{worker}/avatar")
    master.add_remote("w1", through_the_wire(one))
    master.add_remote("w2", {"not": "a list"})  # ignored
    master.add_remote("w2", through_the_wire(two))
    groups = {(g.method, g.template): g for g in master.groups()}
    assert groups["GET", "/items/{id}"].names == 50  # each name once
    assert groups["GET", "/items/{id}"].exact
    assert groups["GET", "/items/{id}"].samples == tuple(f"/items/{i}" for i in range(5))
    assert groups["POST", "/carts/{id}"].names == 1
    users = groups["GET", "/users/{id}/avatar"]
    assert not users.exact and abs(users.names - 500) <= 50
    # reports are cumulative: the same snapshot again changes nothing
    master.add_remote("w1", through_the_wire(one))
    assert master.groups() == tuple(sorted(groups.values(),
                                           key=lambda g: (g.method, g.template)))


def test_a_malformed_worker_snapshot_is_left_out() -> None:
    master = EndpointNames()
    master.add_remote("w1", [{"method": "GET", "template": "/x/{id}", "hashes": "nope"}])
    master.endpoint("GET", "/y/1")
    assert [g.template for g in master.groups()] == ["/y/{id}"]
