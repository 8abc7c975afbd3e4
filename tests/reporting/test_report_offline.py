"""The report is one self-contained page: nothing refers to a network address, every image is embedded,
decodes, and carries no text chunk (no software version, no timestamp)."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import pytest
from report_fixtures import RELEASES, Page

from openconflict.reporting import render_report

URL_ATTRS = {"src", "href", "srcset", "action", "data", "poster", "background", "formaction", "xlink:href"}


@pytest.fixture(scope="module")
def latest(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("latest")
    return render_report(RELEASES / "1.0.1", out, RELEASES / "1.0.0").read_text(encoding="utf-8")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    out, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + length]
        (crc,) = struct.unpack(">I", data[i + 8 + length:i + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        out.append((kind, body))
        i += 12 + length
    return out


def test_no_network_address_anywhere(latest: str) -> None:
    page = Page(latest)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in URL_ATTRS:
                assert value is not None and value.startswith("data:image/png;base64,"), (tag, name, value[:60])
            assert "//" not in (value or "") or name == "src", (tag, name)
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css
    assert not re.search(r"https?://|ftp://|//[a-z0-9.-]+\.[a-z]{2,}/", latest, re.I)
    assert "url(" not in latest and "@import" not in latest


def test_no_script_frame_font_or_stylesheet_link(latest: str) -> None:
    tags = {tag for tag, _ in Page(latest).tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "source", "video", "audio"}
    assert "@font-face" not in latest


def test_every_image_is_an_embedded_png_without_text_chunks(latest: str) -> None:
    imgs = [a for tag, a in Page(latest).tags if tag == "img"]
    assert {a["id"] for a in imgs} == {"chart-monthly", "chart-sub-event-types", "chart-top-actors", "chart-map"}
    for a in imgs:
        assert a.get("alt"), f"{a['id']} has no alt text"
        data = base64.b64decode(a["src"].split(",", 1)[1], validate=True)
        kinds = [k for k, _ in png_chunks(data)]
        assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
        assert not {b"tEXt", b"zTXt", b"iTXt", b"tIME"} & set(kinds), (a["id"], kinds)
        width, height = struct.unpack(">II", png_chunks(data)[0][1][:8])
        assert width >= 600 and height >= 200


def test_page_is_valid_utf8_with_a_doctype_and_title(latest: str) -> None:
    assert latest.startswith("<!DOCTYPE html>\n")
    assert "<title>OpenConflict 1.0.1: release report</title>" in latest
    assert '<meta charset="utf-8">' in latest


def test_report_does_not_touch_the_release_folder(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = synthetic_releases / "1.1.0"
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}
    render_report(folder, tmp_path / "out", synthetic_releases / "1.0.0")
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}
    assert before == after
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["index.html"]
