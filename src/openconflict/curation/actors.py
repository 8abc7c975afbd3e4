"""``lookup actor``: find the registry name of an actor from any name a report uses.

Why names and aliases: reports write "ISIS", "Daesh" or "IS" for the actor we call "Islamic State", and
"SDF" for "SDF: Syrian Democratic Forces". Every actor is searched under its registry name, the two halves
of an "ABBR: Full name" registry name, and its ``aliases``. An exact hit (ignoring case, accents,
punctuation and the Arabic article) scores 100; otherwise rapidfuzz scores the spelling and the consonant
skeleton as for places. Queries of three letters or fewer match exactly only: "IS" must not find every
name containing "is".
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .translit import ARTICLES, coverage, skeleton, words
from .tree import Tree, read_rows

SHORT = 3
DEFAULT_MIN_SCORE = 75.0
SKELETON_WEIGHT = 0.95


@dataclass(frozen=True)
class Actor:
    actor: str
    actor_type: str
    country_iso3: str
    description: str
    aliases: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ActorMatch:
    score: float
    actor: Actor
    matched: str  # the name or alias that matched

    def to_json(self) -> dict[str, object]:
        a = self.actor
        return {"score": round(self.score, 1), "actor": a.actor, "matched": self.matched,
                "actor_type": a.actor_type, "country_iso3": a.country_iso3, "aliases": list(a.aliases),
                "description": a.description, "line": a.line}


def split_list(cell: str) -> list[str]:
    """A ``; ``-separated cell as its values (tolerating a missing space)."""
    return [v.strip() for v in cell.split(";") if v.strip()]


def read_actors(tree: Tree) -> list[Actor]:
    _, rows = read_rows(tree.root / "actors.csv")
    return [Actor(r.get("actor", ""), r.get("actor_type", ""), r.get("country_iso3", ""),
                  r.get("description", ""), tuple(split_list(r.get("aliases", ""))), line)
            for line, r in rows if r.get("actor", "").strip()]


def names_of(actor: Actor) -> list[str]:
    """Every name an actor is searched under."""
    names = [actor.actor]
    if ": " in actor.actor:  # ACLED style "SDF: Syrian Democratic Forces"
        names += [part.strip() for part in actor.actor.split(": ", 1)]
    return list(dict.fromkeys(names + list(actor.aliases)))


def normal(name: str) -> str:
    tokens = words(name)
    return " ".join(t for t in tokens if t not in ARTICLES) or " ".join(tokens)


def search(query: str, actors: list[Actor], *, limit: int = 10,
           min_score: float = DEFAULT_MIN_SCORE) -> list[ActorMatch]:
    """The best actors for ``query``, best first; each actor appears once, under its best-matching name."""
    q = normal(query)
    if not q:
        return []
    keys: list[tuple[int, str]] = [(i, n) for i, a in enumerate(actors) for n in names_of(a)]
    normals = [normal(n) for _, n in keys]
    best: dict[int, tuple[float, str]] = {}

    def offer(k: int, score: float) -> None:
        i, name = keys[k]
        if score > best.get(i, (-1.0, ""))[0]:
            best[i] = (score, name)

    for k, n in enumerate(normals):
        if n == q:
            offer(k, 100.0)
    if len(q.replace(" ", "")) > SHORT:
        for _, score, k in process.extract(q, normals, scorer=fuzz.WRatio, limit=None, score_cutoff=min_score):
            score = min(score, coverage(q, normals[k]), 99.0)  # only an exact name scores 100
            if score >= min_score:
                offer(k, score)
        q_skel = skeleton(query)
        skels = [skeleton(n) for _, n in keys]
        for _, score, k in process.extract(q_skel, skels, scorer=fuzz.token_sort_ratio, limit=None,
                                           score_cutoff=min(min_score / SKELETON_WEIGHT, 100)):
            offer(k, score * SKELETON_WEIGHT)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], actors[kv[0]].actor))
    return [ActorMatch(score, actors[i], name) for i, (score, name) in ranked[:limit]]


def format_match(m: ActorMatch) -> str:
    a = m.actor
    via = "" if m.matched == a.actor else f"  (as {m.matched!r})"
    aliases = f"; aliases: {'; '.join(a.aliases)}" if a.aliases else ""
    return (f"{m.score:5.1f}  {a.actor}{via}  [type {a.actor_type}{', ' + a.country_iso3 if a.country_iso3 else ''}"
            f"{aliases}]  {a.description}")
