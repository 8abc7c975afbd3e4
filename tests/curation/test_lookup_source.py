"""``lookup source`` and URL normalisation: one report is one key, however its link was copied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from curation_fixtures import DATASETS, invoke

from openconflict.curation.sources import read_sources, search
from openconflict.curation.tree import open_tree
from openconflict.curation.urls import slug_words, url_key

SOURCES = read_sources(open_tree(DATASETS))
BASE = "https://www.example.org/news/2016/01/aleppo-strikes-kill-29"

SAME = [
    "http://www.example.org/news/2016/01/aleppo-strikes-kill-29",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29/",
    "https://EXAMPLE.org/news/2016/01/aleppo-strikes-kill-29?utm_source=twitter&utm_medium=social",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29#comments",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29?fbclid=IwAR0abc",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29/amp",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29/amp/",
    "https://example.org/amp/news/2016/01/aleppo-strikes-kill-29",
    "https://amp.example.org/news/2016/01/aleppo-strikes-kill-29",
    "https://m.example.org/news/2016/01/aleppo-strikes-kill-29",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29?amp=1",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29?outputType=amp",
    "https://example.org/news/2016/01/aleppo-strikes-kill-29.amp",
    "http://example.org:80/news/2016/01/aleppo-strikes-kill-29",
    "https://example.org:443//news//2016/01/aleppo-strikes-kill-29",
    "  example.org/news/2016/01/aleppo-strikes-kill-29  ",
    "https://example.org/news/2016/01/aleppo%2Dstrikes-kill-29",
]
DIFFERENT = [
    "https://example.org/news/2016/01/aleppo-strikes-kill-30",
    "https://example.org/News/2016/01/aleppo-strikes-kill-29",  # paths are case-sensitive
    "https://example.org/news/2016/01/aleppo-strikes-kill-29?page=2",
    "https://example.net/news/2016/01/aleppo-strikes-kill-29",
    "https://example.org:8080/news/2016/01/aleppo-strikes-kill-29",
]


@pytest.mark.parametrize("url", SAME)
def test_variants_of_one_url_share_a_key(url: str) -> None:
    assert url_key(url) == url_key(BASE)


@pytest.mark.parametrize("url", DIFFERENT)
def test_other_reports_keep_other_keys(url: str) -> None:
    assert url_key(url) != url_key(BASE)


def test_query_ids_and_hashbang_routes_name_the_page() -> None:
    assert url_key("https://microsyria.com/?p=6419") != url_key("https://microsyria.com/?p=6420")
    assert url_key("https://kurdwatch.org/?e3690") != url_key("https://kurdwatch.org/?e3691")
    assert url_key("https://x.org/?b=2&a=1") == url_key("https://x.org/?a=1&b=2")
    assert url_key("https://x.org/#!/story/1") != url_key("https://x.org/#!/story/2")
    assert url_key("http://x.org:99999/a") == url_key("http://x.org:99999/a")  # a malformed port is no crash


def test_every_registered_report_is_found_again_from_a_mangled_link() -> None:
    for s in SOURCES:
        mangled = s.url.replace("https://", "http://", 1).replace("://www.", "://", 1)
        mangled = mangled.rstrip("/") + ("&" if "?" in mangled else "?") + "utm_campaign=x#top"
        hits = search(mangled, SOURCES)
        assert hits and hits[0].same_report and hits[0].source.source_id == s.source_id, s.url


def test_the_registry_holds_no_report_twice() -> None:
    keys: dict[str, str] = {}
    for s in SOURCES:
        assert keys.setdefault(url_key(s.url), s.source_id) == s.source_id, f"{s.source_id} repeats {keys[url_key(s.url)]}"


def test_same_url_first_then_similar_titles_in_the_cli() -> None:
    url = "https://aranews.net/files/2015/10/aleppo-in-turmoil-as-clashes-intensify-between-isis-syrian-rebels-and-pro-assad-forces/amp/?utm_source=tw"
    result = invoke("lookup", "source", url, "--datasets", DATASETS, "--json")
    assert result.exit_code == 0
    hits = json.loads(result.output)
    assert hits[0]["how"] == "same URL" and hits[0]["source_id"] == "aranews-20151014-aleppo-in-turmoil"
    assert all(h["how"] == "similar title" for h in hits[1:])
    text = invoke("lookup", "source", url, "--datasets", DATASETS)
    assert text.output.splitlines()[0].startswith("100.0  SAME REPORT  aranews-20151014-aleppo-in-turmoil")


def test_a_republished_report_is_found_by_its_title() -> None:
    moved = "https://mirror.example.invalid/syria/aleppo-in-turmoil-as-clashes-intensify-between-isis"
    hits = search(moved, SOURCES)
    assert hits and not hits[0].same_report and hits[0].source.source_id == "aranews-20151014-aleppo-in-turmoil"
    title = search("Aleppo in turmoil as clashes intensify", SOURCES)
    assert title[0].source.source_id == "aranews-20151014-aleppo-in-turmoil"


def test_unknown_report_exits_1(synthetic: Path) -> None:
    result = invoke("lookup", "source", "https://example.invalid/zz/qq", "--datasets", synthetic)
    assert result.exit_code == 1 and "no match" in result.output


def test_slug_words() -> None:
    assert slug_words(BASE) == "aleppo strikes kill"
    assert slug_words("https://x.org/a/b-c-d.html?x=1") == "b c d"
    assert slug_words("https://x.org/?p=1") == ""


def test_text_that_is_no_url_is_no_crash() -> None:
    assert url_key("[") == "[" and slug_words("http://[/a-b-c") == ""
    result = invoke("lookup", "source", "http://[oops/aleppo-in-turmoil-as-clashes", "--datasets", DATASETS)
    assert "Traceback" not in result.output and result.exit_code in (0, 1)
