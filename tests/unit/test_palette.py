"""The design system's colours (the custom properties of app/static/app.css and the projector theme of
leaderboard.css): every pair of text and surface the pages use has a contrast of at least 4.5:1 (WCAG
2.x, AA for normal text); focus rings and the map's tile borders at least 3:1 against what they sit on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def tokens(css: str, selector: str = ":root") -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", css, re.S)
    assert block, f"no {selector} block"
    return {
        name: value.strip().lower()
        for name, value in re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block[1])
    }


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


APP = tokens((STATIC / "app.css").read_text())

# (text, surface) pairs that appear on the pages, by token name.
TEXT_PAIRS = [
    (text, surface)
    for text in ("ink", "muted", "brand", "brand-strong", "up", "down", "warn")
    for surface in ("surface", "bg", "brand-soft")
] + [
    ("on-brand", "brand"),
    ("on-brand", "brand-strong"),
    ("on-brand", "down"),
    ("ink", "accent"),
    ("ink", "accent-soft"),
    ("warn", "accent-soft"),
    ("up", "ok-soft"),
    ("down", "bad-soft"),
    ("ink", "gold"),
    ("ink", "silver"),
    ("ink", "bronze"),
]


@pytest.mark.parametrize(("text", "surface"), TEXT_PAIRS)
def test_text_on_its_surface_is_readable(text: str, surface: str) -> None:
    ratio = contrast(APP[f"c-{text}"], APP[f"c-{surface}"])
    assert ratio >= 4.5, f"--c-{text} on --c-{surface}: {ratio:.2f}:1"


@pytest.mark.parametrize("surface", ["surface", "bg", "brand-soft"])
def test_the_focus_ring_shows(surface: str) -> None:
    assert contrast(APP["c-focus"], APP[f"c-{surface}"]) >= 3


def test_the_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_map_tiles_keep_their_names_readable() -> None:
    from app.leaderboard.map import COLOURS

    css = (STATIC / "leaderboard.css").read_text()
    for level, colour in enumerate(COLOURS):
        assert f".tile.level{level},.swatch.level{level}{{background:{colour}}}" in css
        text = "#ffffff" if level >= 3 else APP["c-ink"]
        assert contrast(text, colour) >= 4.5, f"level {level}: {contrast(text, colour):.2f}:1"


def test_the_projector_theme_is_readable() -> None:
    dark = tokens((STATIC / "screen.css").read_text(), ".screen-html")
    for text in ("s-ink", "s-muted", "s-up", "s-down", "s-accent"):
        for surface in ("s-bg", "s-surface"):
            ratio = contrast(dark[text], dark[surface])
            assert ratio >= 4.5, f"--{text} on --{surface}: {ratio:.2f}:1"
    assert contrast("#0b1726", dark["s-accent"]) >= 4.5  # the reveal's "next" button
