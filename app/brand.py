"""Sinergi's mark drawn with Pillow: the icon of app/static/brand/icon.svg as PNG and ICO files (the
favicon, the home-screen icons of the web app manifest) and as a piece of the share cards.

The mark is an "S" of two arcs, amber and white, on a navy rounded square: two partners making one
shape. It borrows nothing from the emblems of Polri or Senkom. Run `python -m app.brand` to draw the
committed files again after changing it (the SVG is written by hand; keep the two alike).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

NAVY = (11, 74, 139)
AMBER = (242, 169, 0)
WHITE = (255, 255, 255)
BRAND_DIR = Path(__file__).resolve().parent / "static" / "brand"
SUPERSAMPLE = 4


def draw_icon(size: int, *, full_bleed: bool = False, scale: float = 1.0) -> Image.Image:
    """The mark on its navy square, `size` pixels wide. `full_bleed` fills the square to the corners
    (for the home screen, where the phone rounds it); `scale` shrinks the S inside (maskable icons keep
    it within the safe circle)."""
    big = size * SUPERSAMPLE
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if full_bleed:
        draw.rectangle((0, 0, big, big), fill=NAVY)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(14 * unit), fill=NAVY)

    def at(x: float, y: float) -> tuple[float, float]:
        return (32 + (x - 32) * scale) * unit, (32 + (y - 32) * scale) * unit

    width = 7 * unit * scale
    radius = 10 * unit * scale
    for (cx, cy), start, end, colour, ends in (
        ((32, 22), 90, 360, AMBER, ((42, 22), (32, 32))),
        ((32, 42), -90, 180, WHITE, ((32, 32), (22, 42))),
    ):
        x, y = at(cx, cy)
        outer = radius + width / 2
        draw.arc((x - outer, y - outer, x + outer, y + outer), start, end, fill=colour, width=round(width))
        for ex, ey in ends:  # round caps
            px, py = at(ex, ey)
            draw.ellipse((px - width / 2, py - width / 2, px + width / 2, py + width / 2), fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def favicon() -> bytes:
    out = io.BytesIO()
    draw_icon(64).save(out, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def write_files(directory: Path = BRAND_DIR) -> list[Path]:
    """The committed raster files: favicon.ico and the manifest's and Apple's home-screen icons."""
    files = {
        "favicon.ico": favicon(),
        "icon-192.png": png(draw_icon(192)),
        "icon-512.png": png(draw_icon(512)),
        "icon-maskable-512.png": png(draw_icon(512, full_bleed=True, scale=0.72)),
        "apple-touch-icon.png": png(draw_icon(180, full_bleed=True).convert("RGB")),
    }
    written = []
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_files():
        print(path)
