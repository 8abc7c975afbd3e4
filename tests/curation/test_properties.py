"""Property tests: any text a curator pastes is handled (no crash), and an appended row reads back exactly."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from curation_fixtures import DATASETS, GAZETTEER
from hypothesis import given, settings
from hypothesis import strategies as st

from openconflict.curation import actors, places, sources
from openconflict.curation.rows import append_row
from openconflict.curation.translit import fold, skeleton
from openconflict.curation.tree import open_tree
from openconflict.curation.urls import url_key

TREE = open_tree(DATASETS)
PLACES = places.load_places(TREE, GAZETTEER)
ACTORS = actors.read_actors(TREE)
SOURCES = sources.read_sources(TREE)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_any_query_is_answered_without_error(text: str) -> None:
    assert fold(fold(text)) == fold(text) or fold(text)  # folding is total
    skeleton(text)
    for found in (places.search(text, PLACES), actors.search(text, ACTORS), sources.search(text, SOURCES)):
        scores = [m.score for m in found]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


@settings(max_examples=150, deadline=None)
@given(st.one_of(TEXT, st.builds(lambda a, b: f"https://{a}/{b}", TEXT, TEXT)))
def test_any_url_has_a_key_and_the_key_is_stable(text: str) -> None:
    key = url_key(text)
    assert isinstance(key, str)


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=3, max_size=3), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_an_appended_row_reads_back_exactly(values: list[str], newline: str, quote_all: bool) -> None:
    head = '"a","b","c"' if quote_all else "a,b,c"
    original = f"{head}{newline}1,2,3{newline}".encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(original)
        append_row(path, ["a", "b", "c"], dict(zip("abc", values, strict=True)))
        data = path.read_bytes()
        assert data.startswith(original)
        back = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert back[-1] == values
