"""Which file a request path names, and what the studio never serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.errors import NotFoundError
from services.web.assets import AssetDirectory, media_type_of

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path) -> AssetDirectory:
    root = tmp_path / "site"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "js" / "main.js").write_text("export {};")
    (root / "js" / "index.html").write_text("js index")
    (root / ".env").write_text("SECRET=1")
    (tmp_path / "outside.txt").write_text("not yours")
    (root / "escape.txt").symlink_to(tmp_path / "outside.txt")
    return AssetDirectory(root)


@pytest.mark.parametrize("path", ["", "/", "index.html", "/index.html"])
def test_the_page_is_served_for_the_bare_path_and_by_name(site: AssetDirectory, path: str) -> None:
    assert site.find(path).path == site.root / "index.html"


def test_a_directory_means_its_index(site: AssetDirectory) -> None:
    assert site.find("js").path == site.root / "js" / "index.html"
    assert site.find("js/").path == site.root / "js" / "index.html"


@pytest.mark.parametrize(
    "path",
    [
        "../outside.txt",
        "js/../../outside.txt",
        ".env",
        "js/.hidden",
        "escape.txt",
        "nope.js",
        "/etc/passwd",
    ],
)
def test_nothing_outside_the_root_hidden_or_missing_is_served(
    site: AssetDirectory, path: str
) -> None:
    with pytest.raises(NotFoundError, match="no file"):
        site.find(path)


def test_a_file_is_read_in_pieces_that_make_it_whole(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    (tmp_path / "big.bin").write_bytes(data)
    site = AssetDirectory(tmp_path)
    asset = site.find("big.bin")
    pieces = list(site.read(asset, chunk_bytes=10_000))
    assert b"".join(pieces) == data
    assert max(len(piece) for piece in pieces) == 10_000
    assert asset.size_bytes == len(data)


def test_an_empty_file_is_one_empty_piece(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    site = AssetDirectory(tmp_path)
    assert list(site.read(site.find("empty.txt"))) == [b""]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("studio.css", "text/css; charset=utf-8"),
        ("main.js", "text/javascript; charset=utf-8"),
        ("icon.svg", "image/svg+xml; charset=utf-8"),
        ("shot.png", "image/png"),
        ("package.json", "application/json; charset=utf-8"),
        ("no-extension", "application/octet-stream"),
    ],
)
def test_files_are_sent_with_their_media_type(name: str, media_type: str) -> None:
    assert media_type_of(name) == media_type


def test_every_file_the_page_links_exists_in_the_studio() -> None:
    """The page's own links (stylesheet, module, icon) name files the service serves."""
    studio = AssetDirectory(REPO / "web")
    page = studio.find("").path.read_text()
    for path in ("/studio/studio.css", "/studio/js/main.js", "/studio/icon.svg"):
        assert f'"{path}"' in page
        studio.find(path.removeprefix("/studio/"))
