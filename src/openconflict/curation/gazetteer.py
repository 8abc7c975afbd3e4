"""The UCDP GED gazetteer as the curator tools use it: its rows, and UCDP's admin names in our spelling.

Why admin names need care: UCDP writes "Aleppo Governorate" and "Mintaqat Azaz district" where the
codebook and ``datasets/locations/`` write "Aleppo" and "Azaz". A new location takes the spelling curators
already chose for the same UCDP name (learned from existing gazetteer-sourced locations); only a name no
location uses yet falls back to a plain rule (drop "Governorate"/"district" and "Mintaqat"/"Markaz").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from ..errors import CurationError
from .translit import fold, skeleton, strip_accents
from .tree import read_rows

COLUMNS = ("ucdp_place", "admin1", "admin2", "latitude", "longitude")
SOURCE_PREFIX = "UCDP GED gazetteer: "
_FEATURE = re.compile(r"\s+(village|villge|villae|town|city|suburb|area|locality)(/.*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class GazetteerRow:
    """One gazetteer place, with the line it was read from so a curator can find it again."""

    line: int
    place: str  # as UCDP writes it, feature type included ("Tall Jibbin town")
    admin1: str
    admin2: str
    latitude: str
    longitude: str

    @property
    def name(self) -> str:
        """The place name without UCDP's trailing feature type ("Tall Jibbin")."""
        return _FEATURE.sub("", self.place).strip() or self.place

    @property
    def source(self) -> str:
        """The ``coordinate_source`` text existing locations use for this row."""
        return SOURCE_PREFIX + self.place


def read_gazetteer(path: Path) -> list[GazetteerRow]:
    header, rows = read_rows(path)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CurationError(f"{path} is not a UCDP gazetteer file (missing columns: {', '.join(missing)})")
    return [GazetteerRow(line, r["ucdp_place"].strip(), r["admin1"].strip(), r["admin2"].strip(),
                         r["latitude"].strip(), r["longitude"].strip()) for line, r in rows if r["ucdp_place"].strip()]


def four_decimals(value: str) -> str:
    """A coordinate with exactly 4 decimals, rounded half up (36.399632 -> 36.3996, 36.35 -> 36.3500)."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise CurationError(f"not a coordinate: {value!r}") from None
    if not number.is_finite():
        raise CurationError(f"not a coordinate: {value!r}")
    return str(number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def plain_admin(name: str) -> str:
    """UCDP's admin name without the unit word: 'Aleppo Governorate' -> 'Aleppo'."""
    name = re.sub(r"\s+(governorate|district|province)$", "", name.strip(), flags=re.IGNORECASE)
    name = re.sub(r"^(mintaqat\s+)?(markaz\s+)?", "", name, flags=re.IGNORECASE)
    return name[:1].upper() + name[1:] if name else name


@dataclass
class AdminSpelling:
    """UCDP admin name -> the spelling our locations use, learned from gazetteer-sourced locations."""

    admin1: dict[str, str]
    admin2: dict[str, str]

    def convert(self, row: GazetteerRow) -> tuple[str, str]:
        a1 = self.admin1.get(_key(row.admin1)) or plain_admin(row.admin1)
        a2 = self.admin2.get(_key(row.admin1) + "|" + _key(row.admin2)) or plain_admin(row.admin2)
        return a1, a2


def _key(name: str) -> str:
    return strip_accents(name).casefold().strip()


def learn_spelling(gazetteer: list[GazetteerRow], locations: list[dict[str, str]]) -> AdminSpelling:
    """Pair each gazetteer-sourced location with its gazetteer row (name and coordinates) to learn spellings."""
    by_place: dict[str, list[GazetteerRow]] = {}
    for g in gazetteer:
        by_place.setdefault(g.source, []).append(g)
    admin1: dict[str, str] = {}
    admin2: dict[str, str] = {}
    for loc in locations:
        for g in by_place.get(loc.get("coordinate_source", "").strip(), []):
            try:
                same = (four_decimals(g.latitude) == four_decimals(loc.get("latitude", ""))
                        and four_decimals(g.longitude) == four_decimals(loc.get("longitude", "")))
            except CurationError:
                same = False
            if same and loc.get("admin1"):
                admin1.setdefault(_key(g.admin1), loc["admin1"])
                if loc.get("admin2"):
                    admin2.setdefault(_key(g.admin1) + "|" + _key(g.admin2), loc["admin2"])
    return AdminSpelling(admin1, admin2)


def find_rows(gazetteer: list[GazetteerRow], name: str, admin1: str | None = None) -> list[GazetteerRow]:
    """Rows whose UCDP name (with or without feature type) equals ``name`` after folding, else whose
    consonant skeleton does; optionally only those in ``admin1``."""
    wanted = fold(name)
    hits = [g for g in gazetteer if fold(g.place) == wanted or fold(g.name) == wanted]
    if not hits:  # another transliteration of the same name ("Tel Jabin" for "Tall Jibbin")
        bones = skeleton(name)
        hits = [g for g in gazetteer if bones and skeleton(g.name) == bones]
    exact = [g for g in hits if g.place.casefold() == name.strip().casefold()]
    hits = exact or hits
    if admin1:
        a1 = fold(admin1)
        hits = [g for g in hits if fold(plain_admin(g.admin1)) == a1 or fold(g.admin1) == a1]
    return hits
