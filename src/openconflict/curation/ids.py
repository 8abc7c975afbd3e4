"""Identifiers for new rows: event ids that were never used, and readable ids for sources and locations.

Why event ids look everywhere: an event id is permanent and never reused, even after deletion. The next
id is therefore one above the highest number ever seen for that country in any of: the curated event files
(every file under ``events/``, even misnamed ones), the tombstones in ``deletions.csv``, and the events and
tombstones of every release the ledger lists. A release the ledger lists but whose files are missing is an
error, not a reason to guess. Scanning errs high: an id-like token at the start of any line counts too.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..errors import CurationError, LedgerError
from .translit import words

_LINE_ID = re.compile(rb"^\s*\"?([A-Z]{3})([0-9]{1,18})\"?\s*,", re.MULTILINE)


def _numbers_in_csv(path: Path, iso3: str, column: str) -> set[int]:
    """Numbers of ``iso3`` ids in ``column`` of a CSV file, plus id-like tokens at line starts."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CurationError(f"cannot read {path} to find used event ids: {exc.strerror}") from None
    found = {int(m.group(2)) for m in _LINE_ID.finditer(data) if m.group(1).decode() == iso3}
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        if column in header:
            col = header.index(column)
            pattern = re.compile(rf"^{iso3}([0-9]{{1,18}})$")
            for row in reader:
                m = pattern.match(row[col].strip()) if col < len(row) else None
                if m:
                    found.add(int(m.group(1)))
    except csv.Error:
        pass  # a broken file: the line scan above already took what it could
    return found


#: Events coded but held back from releases until a second pass can confirm them (beside datasets/).
HELD_BACK = Path("curation") / "staging" / "held-back-events.csv"


def curated_numbers(root: Path, iso3: str) -> set[int]:
    """Event numbers used in the curated tree: every events file and the tombstones."""
    found: set[int] = set()
    events = root / "events"
    for path in sorted(events.rglob("*")) if events.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            found |= _numbers_in_csv(path, iso3, "event_id")
    deletions = root / "deletions.csv"
    if deletions.is_file():
        found |= _numbers_in_csv(deletions, iso3, "event_id")
    held_back = root.parent / HELD_BACK
    if held_back.is_file():  # coded but not yet released: their ids stay reserved
        found |= _numbers_in_csv(held_back, iso3, "event_id")
    return found


def published_numbers(releases: Path, iso3: str) -> set[int]:
    """Event numbers in every published release's events and deletions (none without a ledger)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ..ledger import read_ledger

    registry = releases / "registry.json"
    if not registry.is_file():
        return set()
    try:
        ledger = read_ledger(registry)
    except LedgerError as exc:
        raise CurationError(f"cannot read the release ledger to find published event ids: {exc}") from None
    found: set[int] = set()
    for entry in ledger.entries:
        for rel, column in (("data/events.parquet", "event_id_cnty"), ("data/deletions.parquet", "event_id")):
            path = releases / entry.version / rel
            try:
                ids = pq.read_table(path, columns=[column]).column(column)
            except (OSError, KeyError, ValueError) as exc:
                raise CurationError(f"release {entry.version} is in the ledger but {path} cannot be read "
                                    f"({exc}); its event ids must be known before a new id is chosen") from None
            nums = pc.extract_regex(pc.drop_null(ids), rf"^{iso3}(?P<n>[0-9]{{1,18}})$")
            found |= {int(v["n"]) for v in nums.to_pylist() if v is not None}
    return found


def next_event_id(root: Path, releases: Path, iso3: str) -> str:
    """``<ISO3><n>`` with ``n`` one above every number ever used for that country."""
    if not re.fullmatch(r"[A-Z]{3}", iso3):
        raise CurationError(f"not an ISO 3166-1 alpha-3 code: {iso3!r}")
    used = curated_numbers(root, iso3) | published_numbers(releases, iso3)
    return f"{iso3}{max(used, default=0) + 1}"


def slug(text: str, max_words: int | None = None) -> str:
    """Lower-case ASCII words joined by hyphens ("Tall Jibbin" -> "tall-jibbin")."""
    tokens = [re.sub(r"[^a-z0-9]", "", w) for w in words(text)]
    tokens = [t for t in tokens if t]
    return "-".join(tokens[:max_words] if max_words else tokens)


#: Words left out of a title slug: they make ids longer without telling reports apart.
STOPWORDS = frozenset({"a", "an", "the", "in", "on", "of", "at", "to", "for", "and", "by", "as", "from", "with",
                       "is", "are", "was", "were", "after", "video", "latest", "breaking", "update", "de", "la",
                       "le", "les", "des", "du", "en", "el", "al", "y", "e", "di", "da", "em", "il"})


def publisher_key(publisher: str, existing: dict[str, str]) -> str:
    """The id prefix of a publisher: the one its existing sources use, else its name squeezed together."""
    known = existing.get(publisher.strip())
    if known:
        return known
    key = slug(publisher).replace("-", "")
    if not key:
        raise CurationError(f"cannot make an id prefix from the publisher {publisher!r}; pass --key")
    return key


def source_id(prefix: str, published: str, title: str, taken: set[str], title_words: int = 4) -> str:
    """``<publisher>-<YYYYMMDD>-<slug>`` like existing ids, made unique with -2, -3 ... if needed."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", published):
        raise CurationError(f"--published must be a date written YYYY-MM-DD, not {published!r}")
    words_ = [w for w in slug(title).split("-") if w and w not in STOPWORDS][:title_words] or ["report"]
    base = f"{prefix}-{published.replace('-', '')}-{'-'.join(words_)}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def publisher_keys(rows: list[dict[str, str]]) -> dict[str, str]:
    """Publisher -> the id prefix its most recent existing source uses."""
    keys: dict[str, str] = {}
    for r in rows:
        m = re.match(r"^([a-z0-9-]+?)-[0-9]{8}-", r.get("source_id", ""))
        if m and r.get("publisher"):
            keys[r["publisher"].strip()] = m.group(1)
    return keys
