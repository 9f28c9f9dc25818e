"""``swarmdeck agent`` on 127.0.0.1: a run's agent:// monitor reads the host (and the
agent's own monitors) with the right token, and is refused with a wrong one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from swarmdeck.monitors.agent import AgentSampler
from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.spec import parse_spec

TOKEN = "agent-test-token-0123456789"


@pytest.fixture(scope="module")
def agent_port() -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "agent", "--bind", "127.0.0.1:0",
         "--monitor", f"process:{os.getpid()}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SWARMDECK_TOKEN": TOKEN})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"on 127\.0\.0\.1:(\d+)", line)
        assert match, line + (process.stderr.read() if process.stderr else "")
        time.sleep(2.2)  # two ticks: a complete second to read
        yield int(match.group(1))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
        assert process.returncode == 0, err


def test_the_right_token_reads_the_host_and_the_agent_s_monitors(agent_port: int) -> None:
    monitors = MonitorSet([parse_spec(f"agent://:{TOKEN}@127.0.0.1:{agent_port}")],
                          lambda b: None)
    assert monitors.open_all() == [None]
    assert isinstance(monitors.samplers[0], AgentSampler)
    assert monitors.samplers[0].info["cores"] >= 1
    batch = monitors.sample_once(0, 1)
    names = {r.name: r.value for r in batch.readings}
    assert batch.error is None
    assert 0 <= names["host.cpu"] <= 100 and names["host.memory_used"] > 0
    assert "rss" in names  # the agent's own process:PID monitor (this test's process)


def test_a_wrong_token_is_refused_in_one_line(agent_port: int) -> None:
    monitors = MonitorSet([parse_spec(f"agent://:wrong@127.0.0.1:{agent_port}")],
                          lambda b: None)
    (error,) = monitors.open_all()
    assert error is not None and "refused the token" in error and "wrong" not in error


def test_an_agent_beyond_loopback_needs_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SWARMDECK_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "swarmdeck", "agent", "--bind", "0.0.0.0:0"],
                          capture_output=True, text=True, env=env, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "without a token" in done.stderr
