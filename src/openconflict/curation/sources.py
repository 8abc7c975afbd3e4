"""``lookup source``: is this report already in the source registry?

Why two kinds of hit: the same URL after normalisation (:func:`.urls.url_key`) is the same report, always
listed first with score 100; a report republished under another address (a wire story on several sites,
an article moved) shows up only by its title, so the query's slug words (or the query itself when it is no
URL) are also scored against every title and every stored URL's slug with rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .translit import words
from .tree import Tree, read_rows
from .urls import slug_words, url_key

DEFAULT_MIN_SCORE = 70.0


@dataclass(frozen=True)
class Source:
    source_id: str
    publisher: str
    title: str
    url: str
    published: str
    line: int


@dataclass(frozen=True)
class SourceMatch:
    score: float
    source: Source
    how: str  # "same URL" | "similar title"

    @property
    def same_report(self) -> bool:
        return self.how == "same URL"

    def to_json(self) -> dict[str, object]:
        s = self.source
        return {"score": round(self.score, 1), "how": self.how, "source_id": s.source_id,
                "publisher": s.publisher, "title": s.title, "url": s.url, "published": s.published, "line": s.line}


def read_sources(tree: Tree) -> list[Source]:
    _, rows = read_rows(tree.root / "sources.csv")
    return [Source(r.get("source_id", ""), r.get("publisher", ""), r.get("title", ""), r.get("url", ""),
                   r.get("published", ""), line) for line, r in rows]


def is_url(text: str) -> bool:
    t = text.strip().lower()
    return t.startswith(("http://", "https://", "www.")) or ("/" in t and " " not in t and "." in t.split("/")[0])


def same_url(url: str, sources: list[Source]) -> list[Source]:
    key = url_key(url)
    return [s for s in sources if s.url.strip() and url_key(s.url) == key]


def search(query: str, sources: list[Source], *, limit: int = 10,
           min_score: float = DEFAULT_MIN_SCORE) -> list[SourceMatch]:
    """Same-URL hits first, then similar titles, best first."""
    exact = same_url(query, sources) if is_url(query) else []
    out = [SourceMatch(100.0, s, "same URL") for s in exact]
    seen = {id(s) for s in exact}
    text = slug_words(query) if is_url(query) else query
    text = " ".join(words(text))
    if text:
        titles = [" ".join(words(s.title)) for s in sources]
        slugs = [" ".join(words(slug_words(s.url))) for s in sources]
        best: dict[int, float] = {}
        for choices in (titles, slugs):
            for _, score, i in process.extract(text, choices, scorer=fuzz.token_set_ratio, limit=None,
                                               score_cutoff=min_score):
                if choices[i]:
                    best[i] = max(best.get(i, 0.0), min(score, 99.0))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], sources[kv[0]].source_id))
        out += [SourceMatch(score, sources[i], "similar title") for i, score in ranked if id(sources[i]) not in seen]
    return out[:limit] if len(out) > limit else out


def format_match(m: SourceMatch) -> str:
    s = m.source
    label = "SAME REPORT" if m.same_report else "similar"
    return f"{m.score:5.1f}  {label:11}  {s.source_id}  {s.published}  {s.publisher}: {s.title}  <{s.url}>"
