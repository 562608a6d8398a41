"""Assets: by extension (case-insensitive, query ignored) and by well-known names."""

from __future__ import annotations

import pytest
from classify_util import rec

from logwatch.classify import Classifier, ClassifyConfig
from logwatch.model import ASSET, BOT, HUMAN


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/static/site.css", "extension .css → asset"),
        ("/js/app.min.js", "extension .js → asset"),
        ("/js/module.MJS", "extension .mjs → asset"),
        ("/js/app.js.map", "extension .map → asset"),
        ("/img/hero.webp", "extension .webp → asset"),
        ("/img/hero.AVIF", "extension .avif → asset"),
        ("/img/logo.svg", "extension .svg → asset"),
        ("/fonts/inter.woff2", "extension .woff2 → asset"),
        ("/media/intro.mp4", "extension .mp4 → asset"),
        ("/favicon.ico", "favicon.ico → asset"),
        (
            "/apple-touch-icon-152x152-precomposed.png",
            "apple-touch-icon-152x152-precomposed.png → asset",
        ),
        ("/site.webmanifest", "site.webmanifest → asset"),
    ],
)
def test_assets(path: str, reason: str) -> None:
    v = Classifier().classify(rec(path, query="v=3.2.1"))
    assert v.cls == ASSET
    assert v.reasons == (reason,)


@pytest.mark.parametrize(
    "path", ["/", "/blog/post-1", "/api/v1/items", "/css", "/file.cssx", "/a.js/page"]
)
def test_pages_are_human(path: str) -> None:
    assert Classifier().classify(rec(path)).cls == HUMAN


def test_asset_by_a_bot_stays_a_bot() -> None:
    v = Classifier().classify(
        rec(
            "/img/a.png",
            agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        )
    )
    assert (v.cls, v.bot_category) == (BOT, "search")


def test_asset_extensions_are_configurable() -> None:
    c = Classifier(ClassifyConfig(asset_extensions=("CSS", ".pdf")))
    assert c.classify(rec("/doc/manual.pdf")).cls == ASSET
    assert c.classify(rec("/img/a.png")).cls == HUMAN


def test_path_cache_is_bounded() -> None:
    c = Classifier(ClassifyConfig(path_cache_size=100))
    for i in range(1000):
        c.classify(rec(f"/p/{i}.css"))
    assert len(c._path_cache) <= 100
