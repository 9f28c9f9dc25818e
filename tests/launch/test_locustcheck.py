"""Checking an uploaded locustfile without running it: file:line for what fails."""

from __future__ import annotations

import hashlib

import pytest

from swarmdeck.errors import LocustfileError
from swarmdeck.launch.locustcheck import MAX_BYTES, check_locustfile

GOOD = b"""from locust import HttpUser, task, between
import locust


class Base(HttpUser):
    abstract = True
    wait_time = between(0.1, 0.2)


class Shopper(Base):
    @task
    def home(self):
        self.client.get("/")


class Api(locust.FastHttpUser):
    pass
"""


def test_a_good_locustfile_names_its_user_classes() -> None:
    checked = check_locustfile("shop.py", GOOD)
    assert checked.user_classes == ("Base", "Shopper", "Api")
    assert checked.sha256 == hashlib.sha256(GOOD).hexdigest()
    assert checked.source == GOOD.decode()


def test_it_is_not_executed(tmp_path: object) -> None:
    boom = b"raise SystemExit('ran!')\nfrom locust import User\nclass U(User):\n    pass\n"
    assert check_locustfile("boom.py", boom).user_classes == ("U",)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("shop.py", b"from locust import HttpUser\n\nclass A(HttpUser:\n    pass\n",
     "shop.py:3: "),
    ("shop.py", b"import os\n\nprint('no users')\n", "shop.py:1: no User class"),
    ("shop.py", b"x = 1\n\xff\xfe\n", "shop.py:2: not UTF-8"),
    ("shop.py", b"x = 1\x00\n", "shop.py:1: "),
    ("../../etc/passwd", GOOD, "bad locustfile name 'passwd'"),
    ("shop.txt", GOOD, "bad locustfile name 'shop.txt'"),
    ("<img src=x onerror=alert(1)>.py", GOOD, "bad locustfile name"),
    ("big.py", GOOD + b"#" * MAX_BYTES, "big.py is too large"),
])
def test_a_bad_locustfile_is_refused_with_file_and_line(name: str, data: bytes,
                                                         message: str) -> None:
    with pytest.raises(LocustfileError) as caught:
        check_locustfile(name, data)
    assert caught.value.message.startswith(message), caught.value.message
    assert "\n" not in str(caught.value)


def test_a_folder_in_the_name_is_dropped() -> None:
    assert check_locustfile("C:\\work\\shop.py", GOOD).name == "shop.py"
