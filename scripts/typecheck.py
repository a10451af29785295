"""The type check, with a baseline that only goes down: ``python -m scripts.typecheck [--shrink]``.

mypy (configured in pyproject.toml) still finds errors in code written before it ran here;
``.ci/mypy-baseline.txt`` holds them, one a line, without line numbers, so that editing a file
above an old error does not make it new.  The check fails on an error the baseline does not hold
(fix it: the baseline takes no new entries), and on a baseline entry mypy no longer reports:
``--shrink`` drops those, so a fixed error cannot come back unnoticed.  ``make test`` runs it
before pytest; mypy's cache (``.mypy_cache``) makes a run after a small change take a second or two.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
# one line per error whatever the local mypy settings: no context notes, columns, colours or summary
MYPY_ARGS = [
    "--hide-error-context",
    "--hide-column-numbers",
    "--hide-error-end",
    "--show-error-codes",
    "--no-pretty",
    "--no-color-output",
    "--no-error-summary",
    "--hide-absolute-path",
]
ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):(?P<line>\d+): error: (?P<message>.+)$")
HEADER = """\
# mypy errors that predate the type check (scripts/typecheck.py): file, message, code; no line numbers.
# Only ever remove lines: fix a new error instead of adding it here.  When errors are fixed, run
#   .venv/bin/python -m scripts.typecheck --shrink
"""


class MypyFailed(Exception):
    """mypy did not check the code (a crash, a bad configuration): nothing to compare."""


def key_of(line: str) -> str | None:
    """``path: error: message  [code]`` for an error line of mypy's report; None for anything else."""
    found = ERROR.match(line)
    return f"{found['path']}: error: {found['message']}" if found else None


def errors_of(report: str) -> dict[str, list[str]]:
    """The report's errors by key, each with the lines (line numbers kept) that have that key."""
    found: dict[str, list[str]] = {}
    for line in report.splitlines():
        key = key_of(line)
        if key is not None:
            found.setdefault(key, []).append(line)
    return found


def read_baseline(path: Path = BASELINE) -> Counter[str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(keys: Iterable[str], path: Path = BASELINE) -> None:
    path.write_text(HEADER + "".join(f"{key}\n" for key in sorted(keys)), encoding="utf-8")


def compare(current: Counter[str], baseline: Counter[str]) -> tuple[Counter[str], Counter[str]]:
    """(errors the baseline lacks, baseline entries no longer reported), counting repeats of one key."""
    return current - baseline, baseline - current


def run_mypy() -> str:
    os.chdir(ROOT)  # the configuration's paths, and the paths mypy reports, are relative to the repo root
    out, err, status = api.run(MYPY_ARGS)
    if status not in (0, 1) or (status == 1 and not errors_of(out)):
        raise MypyFailed(f"mypy exited with {status}:\n{out}{err}")
    return out


def check(report: str, baseline_path: Path = BASELINE, shrink: bool = False) -> tuple[bool, str]:
    """(whether the check passes, what to tell the developer) for one mypy report."""
    found = errors_of(report)
    current = Counter({key: len(lines) for key, lines in found.items()})
    baseline = read_baseline(baseline_path)
    new, gone = compare(current, baseline)
    if new:
        lines = [line for key in sorted(new) for line in found[key][-new[key] :]]
        return False, (
            f"mypy: {new.total()} error(s) not in {baseline_path.name}; fix them "
            f"(the baseline only shrinks):\n" + "\n".join(lines)
        )
    if gone and shrink:
        write_baseline(current.elements(), baseline_path)
        return True, f"mypy: {gone.total()} fixed error(s) dropped from {baseline_path.name}; commit it."
    if gone:
        return False, (
            f"mypy: {gone.total()} error(s) in {baseline_path.name} are fixed; shrink it with "
            f"`.venv/bin/python -m scripts.typecheck --shrink` and commit it:\n" + "\n".join(sorted(gone.elements()))
        )
    return True, f"mypy: {current.total()} known error(s), none new ({baseline_path.name})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shrink", action="store_true", help="drop baseline entries mypy no longer reports")
    args = parser.parse_args()
    try:
        ok, message = check(run_mypy(), shrink=args.shrink)
    except MypyFailed as exc:
        ok, message = False, str(exc)
    print(message)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
