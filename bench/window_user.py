"""bench/open_executor.py's script for two generators sharing one core: bench/fast_user.py's
FastHttpUser, counting its requests and its process's CPU time within a fixed wall-clock
window (BENCH_WINDOW="start,end", epoch seconds), written as JSON to BENCH_COUNT_OUT when
the window ends. Both sides run this same file, so the count costs both the same. With
PACED_PER_USER, Locust paces each user to that many requests/s (``constant_throughput``,
as bench/paced_user.py; the open model replaces a User's wait_time with its schedule)."""

import json
import os
import resource
import time

from locust import FastHttpUser, constant, constant_throughput, events, task

START, END = (float(x) for x in os.environ.get("BENCH_WINDOW", "0,0").split(","))
OUT = os.environ.get("BENCH_COUNT_OUT", "")
_state = {"n": 0, "cpu": 0.0, "done": False}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@events.request.add_listener
def _count(**_kwargs):
    now = time.time()
    if now < START or _state["done"]:
        return
    if _state["n"] == 0:
        _state["cpu"] = _cpu()
    if now < END:
        _state["n"] += 1
        return
    _state["done"] = True
    if OUT:
        with open(OUT, "w") as fh:
            json.dump({"requests": _state["n"], "cpu_s": _cpu() - _state["cpu"],
                       "seconds": END - START}, fh)


class FastUser(FastHttpUser):
    wait_time = (constant_throughput(float(os.environ["PACED_PER_USER"]))
                 if os.environ.get("PACED_PER_USER") else constant(0))

    @task
    def index(self):
        self.client.get("/")
