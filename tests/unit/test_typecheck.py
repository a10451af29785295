"""The type check's baseline only goes down: a new error fails, a fixed one must leave the baseline."""

from pathlib import Path

from scripts.typecheck import check, read_baseline, write_baseline

NONE_INDEX = 'error: Value of type "dict[str, Any] | None" is not indexable  [index]'
LAMBDA = "error: Cannot infer type of lambda  [misc]"


def report(*lines: str) -> str:
    """What mypy prints: errors with line numbers, and notes that are not errors."""
    return "\n".join(lines) + "\n"


def baseline_of(tmp_path: Path, *keys: str) -> Path:
    path = tmp_path / "mypy-baseline.txt"
    write_baseline(keys, path)
    return path


def test_known_errors_pass_wherever_their_lines_moved(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}", f"a/c.py: {LAMBDA}")
    ok, message = check(
        report(f"a/c.py:90: {LAMBDA}", f"a/b.py:7: {NONE_INDEX}", 'a/b.py:7: note: "dict" is invariant'), path
    )
    assert ok, message
    assert "2 known error(s), none new" in message


def test_a_new_error_fails_and_is_shown_with_its_line(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}")
    ok, message = check(report(f"a/b.py:7: {NONE_INDEX}", f"a/c.py:12: {LAMBDA}"), path)
    assert not ok
    assert f"a/c.py:12: {LAMBDA}" in message
    assert "1 error(s) not in mypy-baseline.txt" in message
    assert read_baseline(path) == {f"a/b.py: {NONE_INDEX}": 1}  # never added to


def test_one_more_of_an_error_a_file_already_has_is_new(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}")
    ok, message = check(report(f"a/b.py:7: {NONE_INDEX}", f"a/b.py:30: {NONE_INDEX}"), path)
    assert not ok
    assert f"a/b.py:30: {NONE_INDEX}" in message
    assert f"a/b.py:7: {NONE_INDEX}" not in message


def test_the_same_error_in_another_file_is_new(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}")
    ok, _ = check(report(f"a/d.py:7: {NONE_INDEX}"), path)
    assert not ok


def test_a_fixed_error_fails_until_the_baseline_is_shrunk(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}", f"a/b.py: {NONE_INDEX}", f"a/c.py: {LAMBDA}")
    ok, message = check(report(f"a/b.py:7: {NONE_INDEX}"), path)
    assert not ok
    assert "2 error(s) in mypy-baseline.txt are fixed" in message
    assert "--shrink" in message

    ok, message = check(report(f"a/b.py:7: {NONE_INDEX}"), path, shrink=True)
    assert ok, message
    assert read_baseline(path) == {f"a/b.py: {NONE_INDEX}": 1}
    assert path.read_text(encoding="utf-8").startswith("# mypy errors that predate")
    assert check(report(f"a/b.py:7: {NONE_INDEX}"), path)[0]


def test_shrinking_refuses_while_there_are_new_errors(tmp_path):
    path = baseline_of(tmp_path, f"a/b.py: {NONE_INDEX}", f"a/c.py: {LAMBDA}")
    ok, message = check(report(f"a/b.py:7: {NONE_INDEX}", f"a/d.py:1: {LAMBDA}"), path, shrink=True)
    assert not ok
    assert "a/d.py:1" in message
    assert read_baseline(path) == {f"a/b.py: {NONE_INDEX}": 1, f"a/c.py: {LAMBDA}": 1}


def test_the_repository_baseline_is_sorted_and_has_no_line_numbers():
    path = Path(__file__).resolve().parents[2] / ".ci" / "mypy-baseline.txt"
    entries = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert entries == sorted(entries)
    assert all(": error: " in e and not e.split(":")[1].strip().isdigit() for e in entries)
