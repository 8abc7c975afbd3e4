"""``lookup place``: one fuzzy search over the curated locations and the gazetteer.

Why two scores: rapidfuzz's weighted ratio on the folded names finds typos and partial names ("Aleppo" in
"Aleppo International Airport"); a token-sorted ratio on the consonant skeletons finds transliteration
variants that share no spelling ("Tel Jabin" / "Tall Jibbin"). A candidate's score is the better of the
two, the skeleton's discounted slightly so that a name spelled exactly alike ranks first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from ..errors import CurationError
from .gazetteer import GazetteerRow, four_decimals, read_gazetteer
from .translit import coverage, fold, skeleton
from .tree import Tree, read_rows

SKELETON_WEIGHT = 0.95
DEFAULT_MIN_SCORE = 75.0


@dataclass(frozen=True)
class Place:
    """A candidate place: a curated location (with its id) or a gazetteer row."""

    kind: str  # "location" | "gazetteer"
    id: str
    name: str
    admin1: str
    admin2: str
    admin3: str
    latitude: str
    longitude: str
    source: str  # coordinate_source of a location; the gazetteer row's citation
    file: str
    line: int
    curated_as: str = ""  # for a gazetteer row already used by a location: that location's id


@dataclass(frozen=True)
class Match:
    score: float
    place: Place

    def to_json(self) -> dict[str, object]:
        return {"score": round(self.score, 1), **asdict(self.place)}


def location_places(tree: Tree) -> list[Place]:
    out: list[Place] = []
    folder = tree.root / "locations"
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        _, rows = read_rows(path)
        for line, r in rows:
            out.append(Place("location", r.get("location_id", ""), r.get("location", ""), r.get("admin1", ""),
                             r.get("admin2", ""), r.get("admin3", ""), r.get("latitude", ""),
                             r.get("longitude", ""), r.get("coordinate_source", ""), tree.shown(path), line))
    return out


def _same_point(a_lat: str, a_lon: str, b_lat: str, b_lon: str) -> bool:
    try:
        return four_decimals(a_lat) == four_decimals(b_lat) and four_decimals(a_lon) == four_decimals(b_lon)
    except CurationError:  # a malformed coordinate simply does not match
        return False


def gazetteer_places(rows: list[GazetteerRow], path: Path, locations: list[Place]) -> list[Place]:
    by_source: dict[str, list[Place]] = {}
    for loc in locations:
        by_source.setdefault(loc.source.strip(), []).append(loc)
    out = []
    seen: set[tuple[str, ...]] = set()
    for g in rows:
        key = (g.place, g.latitude, g.longitude, g.admin1.casefold(), g.admin2.casefold())
        if key in seen:
            continue  # UCDP lists some places twice, differing only in the case of "Governorate"
        seen.add(key)
        used = [loc.id for loc in by_source.get(g.source, [])
                if _same_point(loc.latitude, loc.longitude, g.latitude, g.longitude)]
        out.append(Place("gazetteer", "", g.place, g.admin1, g.admin2, "", g.latitude, g.longitude,
                         f"{path.name} line {g.line}", str(path), g.line, ", ".join(used)))
    return out


def search(query: str, places: list[Place], *, limit: int = 10,
           min_score: float = DEFAULT_MIN_SCORE) -> list[Match]:
    """The best ``limit`` places for ``query``, best first (ties: curated locations first, then by name)."""
    q_fold, q_skel = fold(query), skeleton(query)
    if not q_fold:
        return []
    folded = [fold(p.name) for p in places]
    skels = [skeleton(p.name) for p in places]
    scores: dict[int, float] = {}
    for _, score, i in process.extract(q_fold, folded, scorer=fuzz.WRatio, limit=None, score_cutoff=min_score):
        score = min(score, coverage(q_fold, folded[i]))
        if score >= min_score:
            scores[i] = score
    cutoff = min_score / SKELETON_WEIGHT
    if q_skel:
        for _, score, i in process.extract(q_skel, skels, scorer=fuzz.token_sort_ratio, limit=None,
                                           score_cutoff=min(cutoff, 100)):
            scores[i] = max(scores.get(i, 0.0), score * SKELETON_WEIGHT)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], places[kv[0]].kind != "location",
                                                    places[kv[0]].name, kv[0]))
    return [Match(score, places[i]) for i, score in ranked[:limit]]


def load_places(tree: Tree, gazetteer: Path | None) -> list[Place]:
    locations = location_places(tree)
    if gazetteer is None:
        return locations
    return locations + gazetteer_places(read_gazetteer(gazetteer), gazetteer, locations)


def format_match(m: Match) -> str:
    p = m.place
    admins = " / ".join(a for a in (p.admin1, p.admin2, p.admin3) if a) or "-"
    if p.kind == "location":
        head = f"{p.id}  {p.name}"
        cite = p.source
    else:
        head = f"[gazetteer]  {p.name}"
        cite = p.source + (f"; curated as {p.curated_as}" if p.curated_as else "; not yet a location")
    return f"{m.score:5.1f}  {head}  ({admins})  {p.latitude}, {p.longitude}  [{cite}]"
