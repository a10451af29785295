"""``make up`` keeps going: a process that exits is restarted with backoff; Ctrl-C alone stops the stack."""

from __future__ import annotations

import itertools
import logging
import subprocess
import time
from pathlib import Path

from scripts.stack import Stack, StackConfig, Supervisor


class Quick(Supervisor):
    FIRST, LONGEST, STEADY = 0.05, 0.2, 5.0


def test_an_exited_process_is_restarted_with_growing_delays(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO, logger="stack")
    stack = Stack(StackConfig(data_dir=tmp_path))
    supervisor = Quick(stack)
    restarts: list[float] = []

    def restart(name: str) -> None:  # the service keeps failing: it exits again at once
        restarts.append(time.monotonic())
        stack.processes[name] = subprocess.Popen(["false"])
        supervisor.started[name] = time.monotonic()

    supervisor.restart = restart
    stack.processes["booths"] = subprocess.Popen(["false"])
    stack.processes["gateway"] = healthy = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 3
        while len(restarts) < 4 and time.monotonic() < deadline:
            supervisor.tick()
            time.sleep(0.01)
        gaps = [b - a for a, b in itertools.pairwise(restarts)]
        assert len(restarts) == 4
        assert gaps[0] >= 0.09 and gaps[-1] >= 0.19  # 0.05, 0.1, 0.2, 0.2 (capped): backing off
        assert stack.processes["gateway"] is healthy and healthy.poll() is None  # the others run on
        exits = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert exits[0].getMessage() == "booths exited with code 1; restarting in 0.05 s"
        assert (exits[0].child, exits[0].exit_code) == ("booths", 1)
    finally:
        healthy.kill()
        healthy.wait()
