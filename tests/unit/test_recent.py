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
