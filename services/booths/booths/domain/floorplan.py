"""An edition's floor plan (halls, zones, booths) and its CSV form.

Organisers draw the plan in a spreadsheet, so the CSV is the import/export
format.  One file holds the three kinds of record, told apart by the
``record`` column, so a plan travels as a single file and a booth's zone can
be checked against the zones declared beside it:

    record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h
    hall,H1,Nhà thi đấu,,,,,,,,,,
    zone,A,Khu OCOP,H1,,,,,,,,,
    booth,A01,,,A,standard,ocop,power;water,12000000,0,0,3,3

Features are separated by ``;`` (the comma is taken).  Coordinates are in
metres within the hall.  Parsing reports every problem at once, each with its
line number, so an organiser fixes the sheet in one go instead of one error
per upload.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from functools import cached_property

from shared import public_text

SIZES = ("standard", "double", "corner", "island")
KINDS = ("standard", "ocop", "agency", "livestream", "outdoor")
FEATURES = ("power", "water", "corner", "storage")
COLUMNS = ("record", "code", "name", "hall", "zone", "size", "kind", "features", "price_vnd", "x", "y", "w", "h")
RECORDS = ("hall", "zone", "booth")

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PRICE = re.compile(r"[0-9]{1,15}")


@dataclass(frozen=True)
class Hall:
    code: str
    name: str = ""


@dataclass(frozen=True)
class Zone:
    code: str
    hall: str
    name: str = ""


@dataclass(frozen=True)
class Booth:
    code: str
    zone: str
    size: str = "standard"
    kind: str = "standard"
    features: frozenset[str] = frozenset()
    price_vnd: int | None = None
    x: float = 0.0
    y: float = 0.0
    w: float = 3.0
    h: float = 3.0

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class FloorPlan:
    halls: tuple[Hall, ...] = ()
    zones: tuple[Zone, ...] = ()
    booths: tuple[Booth, ...] = ()

    @cached_property
    def booth_by_code(self) -> dict[str, Booth]:
        return {b.code: b for b in self.booths}

    @cached_property
    def zone_by_code(self) -> dict[str, Zone]:
        return {z.code: z for z in self.zones}

    def hall_of(self, booth: Booth) -> str | None:
        zone = self.zone_by_code.get(booth.zone)
        return None if zone is None else zone.hall


@dataclass(frozen=True)
class FloorPlanError:
    line: int
    field: str
    code: str
    message: str


class FloorPlanErrors(ValueError):
    """Every problem found in a CSV, in line order."""

    def __init__(self, errors: list[FloorPlanError]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "; ".join(f"line {e.line} {e.field}: {e.message}" for e in self.errors)


class _Rows:
    """Collects errors while one row's fields are read."""

    def __init__(self) -> None:
        self.errors: list[FloorPlanError] = []

    def error(self, line: int, column: str, code: str, message: str) -> None:
        self.errors.append(FloorPlanError(line, column, code, message))

    def code(self, line: int, row: dict[str, str], column: str) -> str:
        value = row[column]
        if not value:
            self.error(line, column, "missing", f"{column} is required")
        elif not _CODE.fullmatch(value):
            self.error(line, column, "bad_code", f"{value!r}: letters, digits, '.', '_' or '-', at most 32")
        return value

    def public_name(self, line: int, row: dict[str, str]) -> str:
        """Hall and zone names are published to every province: no contact details in them."""
        value = row["name"]
        if public_text.contact_details(value):
            self.error(line, "name", "contact_in_public_text", public_text.MESSAGE)
        return value

    def choice(self, line: int, row: dict[str, str], column: str, allowed: tuple[str, ...]) -> str:
        value = row[column] or allowed[0]
        if value not in allowed:
            self.error(line, column, f"unknown_{column}", f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def features(self, line: int, row: dict[str, str]) -> frozenset[str]:
        names = frozenset(f.strip() for f in row["features"].split(";") if f.strip())
        for name in sorted(names - set(FEATURES)):
            self.error(line, "features", "unknown_feature", f"{name!r} is not one of {', '.join(FEATURES)}")
        return names & frozenset(FEATURES)

    def price(self, line: int, row: dict[str, str]) -> int | None:
        value = row["price_vnd"]
        if not value:
            return None
        if not _PRICE.fullmatch(value):
            self.error(line, "price_vnd", "bad_number", f"{value!r} is not a whole number of đồng (digits only)")
            return None
        return int(value)

    def number(self, line: int, row: dict[str, str], column: str, positive: bool) -> float:
        value = row[column]
        try:
            number = float(value)
        except ValueError:
            self.error(line, column, "bad_number" if value else "missing", f"{value!r} is not a number")
            return 0.0
        if not math.isfinite(number) or (positive and number <= 0):
            self.error(line, column, "bad_number", f"{value!r} must be a finite number" + (" > 0" if positive else ""))
        return number


def parse_floor_plan_csv(text: str) -> FloorPlan:
    """Read a plan; raise ``FloorPlanErrors`` listing every bad line (line 1 is the header)."""
    # universal newlines: Excel's "CSV (Macintosh)" ends lines with CR alone
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=None))
    rows = _Rows()
    header = [h.strip().lower() for h in next(reader, [])]
    for column in COLUMNS:
        if column not in header:
            rows.error(1, column, "missing_column", f"the header has no {column!r} column")
    for index, column in enumerate(header):
        if column not in COLUMNS:
            rows.error(1, "record", "unknown_column", f"{column!r} is not a floor plan column ({', '.join(COLUMNS)})")
        elif column in header[:index]:
            rows.error(1, column, "duplicate_column", f"{column!r} appears twice in the header")
    if rows.errors:
        raise FloorPlanErrors(rows.errors)

    records: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        line = reader.line_num
        if len(values) > len(header):
            rows.error(line, "record", "extra_fields", f"{len(values)} fields for {len(header)} columns")
        row = {column: value.strip() for column, value in zip(header, values, strict=False)}
        records.append((line, {column: row.get(column, "") for column in COLUMNS}))

    halls = _read_halls(rows, records)
    zones = _read_zones(rows, records, {h.code for h in halls})
    booths = _read_booths(rows, records, {z.code for z in zones})
    for line, row in records:
        if row["record"] not in RECORDS:
            rows.error(line, "record", "unknown_record", f"{row['record']!r} is not one of {', '.join(RECORDS)}")
    if rows.errors:
        raise FloorPlanErrors(sorted(rows.errors, key=lambda e: (e.line, COLUMNS.index(e.field))))
    return FloorPlan(tuple(halls), tuple(zones), tuple(booths))


def _unique(rows: _Rows, seen: set[str], line: int, code: str, record: str) -> bool:
    if code in seen:
        rows.error(line, "code", "duplicate_code", f"{record} {code!r} appears twice")
        return False
    seen.add(code)
    return True


def _read_halls(rows: _Rows, records: list[tuple[int, dict[str, str]]]) -> list[Hall]:
    halls: list[Hall] = []
    seen: set[str] = set()
    for line, row in records:
        if row["record"] == "hall":
            code = rows.code(line, row, "code")
            if _unique(rows, seen, line, code, "hall"):
                halls.append(Hall(code, rows.public_name(line, row)))
    return halls


def _read_zones(rows: _Rows, records: list[tuple[int, dict[str, str]]], halls: set[str]) -> list[Zone]:
    zones: list[Zone] = []
    seen: set[str] = set()
    for line, row in records:
        if row["record"] != "zone":
            continue
        code = rows.code(line, row, "code")
        hall = rows.code(line, row, "hall")
        if hall and hall not in halls:
            rows.error(line, "hall", "unknown_hall", f"hall {hall!r} is not declared in this file")
        if _unique(rows, seen, line, code, "zone"):
            zones.append(Zone(code, hall, rows.public_name(line, row)))
    return zones


def _read_booths(rows: _Rows, records: list[tuple[int, dict[str, str]]], zones: set[str]) -> list[Booth]:
    booths: list[Booth] = []
    seen: set[str] = set()
    for line, row in records:
        if row["record"] != "booth":
            continue
        code = rows.code(line, row, "code")
        zone = rows.code(line, row, "zone")
        if zone and zone not in zones:
            rows.error(line, "zone", "unknown_zone", f"zone {zone!r} is not declared in this file")
        booth = Booth(
            code=code,
            zone=zone,
            size=rows.choice(line, row, "size", SIZES),
            kind=rows.choice(line, row, "kind", KINDS),
            features=rows.features(line, row),
            price_vnd=rows.price(line, row),
            x=rows.number(line, row, "x", positive=False),
            y=rows.number(line, row, "y", positive=False),
            w=rows.number(line, row, "w", positive=True),
            h=rows.number(line, row, "h", positive=True),
        )
        if _unique(rows, seen, line, code, "booth"):
            booths.append(booth)
    return booths


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def floor_plan_csv(plan: FloorPlan) -> str:
    """The plan as CSV, in the layout ``parse_floor_plan_csv`` reads back to an equal plan."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for hall in plan.halls:
        writer.writerow(["hall", hall.code, hall.name] + [""] * (len(COLUMNS) - 3))
    for zone in plan.zones:
        writer.writerow(["zone", zone.code, zone.name, zone.hall] + [""] * (len(COLUMNS) - 4))
    for b in plan.booths:
        price = "" if b.price_vnd is None else str(b.price_vnd)
        features = ";".join(f for f in FEATURES if f in b.features)
        coordinates = [_number(v) for v in (b.x, b.y, b.w, b.h)]
        writer.writerow(["booth", b.code, "", "", b.zone, b.size, b.kind, features, price, *coordinates])
    return out.getvalue()
