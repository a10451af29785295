"""The read-through cache of shared.recent: kept for a while, forgotten on a write, never re-filled by a stale read."""

from shared.recent import Recent
from tests.support.clock import FakeClock


def test_kept_for_its_seconds_then_read_again():
    clock, reads = FakeClock(0.0), []
    recent = Recent(5, clock)
    read = lambda key: reads.append(key) or {"v": len(reads)}  # noqa: E731
    assert recent.get("org", read) == {"v": 1}
    clock.now = 4.9
    assert recent.get("org", read) == {"v": 1}
    clock.now = 5.1
    assert recent.get("org", read) == {"v": 2} and reads == ["org", "org"]


def test_missing_documents_are_not_kept():
    recent, reads = Recent(5, FakeClock(0.0)), []
    assert recent.get("org", lambda key: reads.append(key)) is None
    assert recent.get("org", lambda key: reads.append(key)) is None
    assert len(reads) == 2


def test_a_read_overtaken_by_a_forget_is_not_kept():
    """A read that started before a write finishes after the writer forgot the key: it may be the old version."""
    recent = Recent(5, FakeClock(0.0))

    def slow_read(key):
        recent.forget(key)  # the write lands while this read is under way
        return {"preferences": "old"}

    assert recent.get("org", slow_read) == {"preferences": "old"}  # answered, but not kept
    assert recent.get("org", lambda key: {"preferences": "new"}) == {"preferences": "new"}


def test_a_limit_keeps_the_most_recently_read_keys():
    """Keys a caller chooses (a date in a query string) cannot grow the cache without bound."""
    clock, reads = FakeClock(0.0), []
    recent = Recent(5, clock, limit=2)
    read = lambda key: reads.append(key) or {"key": key}  # noqa: E731
    for key in ("a", "b", "c"):
        recent.get(key, read)
    assert recent.get("b", read) == {"key": "b"} and recent.get("c", read) == {"key": "c"}
    assert reads == ["a", "b", "c"]
    recent.get("a", read)  # read again; "b", the oldest kept, goes
    assert reads == ["a", "b", "c", "a"]
    recent.get("c", read)
    recent.get("b", read)
    assert reads == ["a", "b", "c", "a", "b"]
