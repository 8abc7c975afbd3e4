"""How to cite a release: BibTeX, APA or CFF, naming the version, its release date and its checksum.

Why: a result is reproducible only if the reader can get the exact data it came from. A citation that
names the version and date says which release; the checksum lets anyone confirm that the file they hold
is that release byte for byte (``sha256sum data/events.parquet``). The checksum cited is the sha256 of the
release's ``data/events.parquet`` as the release ledger (``registry.json``) records it, never recomputed
from a file that could have been edited. Title, authors, licence, repository and DOI come from the
release's own ``CITATION.cff``, which is checked against the ledger before it is believed.

``cite_command`` is the ``openconflict cite`` command; the CLI registers it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from openconflict.errors import LedgerError, OpenConflictError
from openconflict.ledger import LEDGER_FILE, Entry, read_ledger

__all__ = ["CHECKSUM_FILE", "FORMATS", "Citation", "cite", "cite_command", "citation", "releases_root"]

FORMATS = ("bibtex", "apa", "cff")
#: The file whose sha256 a citation names.
CHECKSUM_FILE = "data/events.parquet"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class Citation:
    """What a citation of one release says."""

    version: str
    date: str  # YYYY-MM-DD, from the ledger
    title: str
    authors: tuple[dict[str, str], ...]
    license: str | None
    url: str | None
    doi: str | None
    checksum_file: str
    sha256: str
    cff: dict[str, Any]  # the release's CITATION.cff as read


def releases_root(releases: str | os.PathLike[str] | None = None) -> Path:
    """The releases folder: ``releases``, else OPENCONFLICT_RELEASES, else the bundled copy or a checkout's
    ``build/releases/``."""
    if releases is not None:
        return Path(releases)
    from openconflict.config import releases_override

    override = releases_override()
    if override is not None:
        return override
    here = Path(__file__).resolve().parent
    for candidate in (here / "_releases", here.parent.parent / "build" / "releases"):
        if (candidate / LEDGER_FILE).is_file():
            return candidate
    raise LedgerError("no release ledger found: this installation ships no _releases/registry.json and is not a "
                      "source checkout; set OPENCONFLICT_RELEASES to a releases folder")


def citation(version: str | None = None, *, releases: str | os.PathLike[str] | None = None) -> Citation:
    """Gather the facts of a citation of ``version`` (None or 'latest': the latest release)."""
    root = releases_root(releases)
    ledger = read_ledger(root / LEDGER_FILE)
    entry = ledger.get(version)
    cff, source = _read_cff(root, entry, ledger.entries)
    file = entry.files.get(CHECKSUM_FILE) or entry.files.get("data/events.csv")
    if file is None:
        raise LedgerError(f"release {entry.version} lists no events file in the ledger at {ledger.origin}")
    title = cff.get("title")
    if not isinstance(title, str) or not title.strip():
        raise LedgerError(f"the CITATION.cff of release {entry.version} has no title")
    authors = tuple(a for a in cff.get("authors") or [] if isinstance(a, dict))
    if not authors:
        raise LedgerError(f"the CITATION.cff of release {entry.version} names no authors")
    url = _text(cff.get("repository-code")) or _text(cff.get("url")) or _homepage(root, source)
    return Citation(entry.version, entry.date, " ".join(title.split()), authors, _text(cff.get("license")),
                    url, _doi(cff), file.path, file.sha256, cff)


def cite(version: str | None = None, format: str = "bibtex", *, releases: str | os.PathLike[str] | None = None
         ) -> str:
    """A citation of ``version`` as ``format`` ("bibtex", "apa" or "cff"), ending in a newline."""
    if format not in FORMATS:
        raise ValueError(f"format={format!r}; choose one of {', '.join(FORMATS)}")
    c = citation(version, releases=releases)
    return {"bibtex": _bibtex, "apa": _apa, "cff": _cff}[format](c)


@click.command("cite")
@click.argument("version", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="bibtex", show_default=True,
              help="Citation style.")
def cite_command(version: str | None, fmt: str) -> None:
    """Print how to cite VERSION (default: the latest release): version, release date and the sha256 of its
    data/events.parquet, from the release ledger."""
    try:
        click.echo(cite(version, fmt), nl=False)
    except OpenConflictError as exc:
        raise click.ClickException(str(exc)) from None


# ----------------------------------------------------------------------------------------------- reading


def _verified(root: Path, entry: Entry, name: str) -> Path | None:
    """``<root>/<version>/<name>`` if it is there, after checking it against the ledger; None if absent."""
    from openconflict.files import sha256_file

    path = root / entry.version / name
    if not path.is_file():
        return None
    recorded = entry.files.get(name)
    if recorded is None or sha256_file(path) != recorded.sha256:
        raise LedgerError(f"{path} does not match the ledger's record of release {entry.version}; "
                          "the release folder was changed (run: openconflict verify)")
    return path


def _homepage(root: Path, entry: Entry) -> str | None:
    """The datapackage.json's homepage: where the project lives, when CITATION.cff names no repository."""
    import json

    path = _verified(root, entry, "datapackage.json")
    if path is None:
        return None
    try:
        return _text(json.loads(path.read_text(encoding="utf-8")).get("homepage"))
    except (ValueError, AttributeError):
        return None


def _read_cff(root: Path, entry: Entry, entries: tuple[Entry, ...]) -> tuple[dict[str, Any], Entry]:
    """The release's CITATION.cff, checked against the ledger, and the release it came from: for a release
    that is not on this machine, the newest local one's (title, authors and licence describe the dataset,
    not one version)."""
    import yaml

    later_first = [entry, *sorted((e for e in entries if e is not entry), key=lambda e: entries.index(e),
                                  reverse=True)]
    for candidate in later_first:
        path = _verified(root, candidate, "CITATION.cff")
        if path is None:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LedgerError(f"{path} is not readable YAML: {exc}") from None
        if not isinstance(data, dict):
            raise LedgerError(f"{path} is not a CFF mapping")
        return data, candidate
    raise LedgerError(f"no CITATION.cff of release {entry.version} (or of any release) in {root}; "
                      f"download the release first (openconflict download {entry.version})")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _doi(cff: dict[str, Any]) -> str | None:
    doi = _text(cff.get("doi"))
    if doi:
        return doi
    for ident in cff.get("identifiers") or []:
        if isinstance(ident, dict) and ident.get("type") == "doi":
            return _text(ident.get("value"))
    return None


def _author_name(author: dict[str, str], style: str) -> str:
    if author.get("name"):
        return str(author["name"]).strip()
    family = str(author.get("family-names", "")).strip()
    given = str(author.get("given-names", "")).strip()
    particle = str(author.get("name-particle", "")).strip()
    family = f"{particle} {family}".strip()
    if style == "apa":
        initials = " ".join(f"{part[0]}." for part in re.split(r"[\s]+", given) if part)
        return f"{family}, {initials}".strip(", ")
    return f"{family}, {given}".strip(", ")


# ----------------------------------------------------------------------------------------------- styles


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


def _bibtex(c: Citation) -> str:
    names = [_author_name(a, "bibtex") for a in c.authors]
    authors = " and ".join(f"{{{_tex(n)}}}" if "name" in a else _tex(n) for a, n in zip(c.authors, names,
                                                                                          strict=True))
    year, month = c.date[:4], _MONTHS[int(c.date[5:7]) - 1]
    fields = [("author", f"{{{authors}}}"), ("title", f"{{{{{_tex(c.title)}}}}}"), ("year", f"{{{year}}}"),
              ("month", month), ("version", f"{{{c.version}}}"),
              ("howpublished", f"{{Dataset, release {c.version} of {c.date}}}")]
    if c.doi:
        fields.append(("doi", f"{{{_tex(c.doi)}}}"))
    if c.url:
        fields.append(("url", f"{{{c.url}}}"))
    fields.append(("note", f"{{Released {c.date}. SHA-256 of {_tex(c.checksum_file)}: {c.sha256}}}"))
    key = "openconflict_" + c.version.replace(".", "_")
    body = ",\n".join(f"  {name:<12} = {value}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def _apa(c: Citation) -> str:
    names = [_author_name(a, "apa") for a in c.authors]
    authors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]
    where = f"https://doi.org/{c.doi}" if c.doi else c.url
    text = f"{authors}{'' if authors.endswith('.') else '.'} ({c.date[:4]}). {c.title} (Version {c.version}) [Data set]."
    if where:
        text += f" {where}"
    return text + f"\nReleased {c.date}; SHA-256 of {c.checksum_file}: {c.sha256}\n"


def _cff(c: Citation) -> str:
    import yaml

    data = dict(c.cff)
    data["version"] = c.version
    data["date-released"] = c.date
    identifiers = [i for i in data.get("identifiers") or [] if not (isinstance(i, dict) and i.get("type") == "other"
                                                                    and str(i.get("value", "")).startswith("sha256:"))]
    identifiers.append({"type": "other", "value": f"sha256:{c.sha256}",
                        "description": f"SHA-256 of {c.checksum_file} of release {c.version}"})
    data["identifiers"] = identifiers
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
