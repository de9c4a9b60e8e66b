"""A tile-grid cartogram of East Java's 38 regencies and cities: one equal tile each, so Kota Mojokerto
is as visible as Kabupaten Banyuwangi; each kota sits next to its kabupaten; west to east, north (the
Java Sea and Madura) to south (the Indian Ocean)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app import regions
from app.leaderboard.views import BoardRow

COLUMNS, ROWS = 9, 6
# code -> (column, row)
LAYOUT: dict[str, tuple[int, int]] = {
    # the north coast and Madura
    "35.23": (1, 0), "35.24": (2, 0), "35.25": (3, 0), "35.78": (4, 0),
    "35.26": (5, 0), "35.27": (6, 0), "35.28": (7, 0), "35.29": (8, 0),
    "35.21": (0, 1), "35.22": (1, 1), "35.17": (2, 1), "35.76": (3, 1), "35.15": (4, 1),
    "35.20": (0, 2), "35.77": (1, 2), "35.18": (2, 2), "35.16": (3, 2),
    "35.75": (4, 2), "35.14": (5, 2), "35.74": (6, 2), "35.12": (7, 2),
    "35.02": (0, 3), "35.19": (1, 3), "35.06": (2, 3), "35.71": (3, 3),
    "35.79": (4, 3), "35.13": (6, 3), "35.11": (7, 3), "35.10": (8, 3),
    # the south coast
    "35.01": (0, 4), "35.03": (1, 4), "35.04": (2, 4), "35.72": (3, 4),
    "35.73": (4, 4), "35.08": (5, 4), "35.09": (6, 4),
    "35.05": (3, 5), "35.07": (4, 5),
}  # fmt: skip

# Light to dark: dark text on the first three, white on the last two (each at least 4.5:1,
# tests/unit/test_palette.py).
COLOURS = ("#eef4fb", "#c6dbef", "#8fbde0", "#2f6fae", "#0b4f8a")


@dataclass(frozen=True, slots=True)
class Tile:
    code: str
    name: str
    short: str
    column: int
    row: int
    rank: int | None
    shared: bool
    score: Decimal
    level: int

    @property
    def colour(self) -> str:
        return COLOURS[self.level]

    @property
    def dark(self) -> bool:
        return self.level >= 3


def short_name(name: str) -> str:
    for prefix in ("Kabupaten ", "Kota "):
        if name.startswith(prefix):
            rest = name.removeprefix(prefix)
            return ("Kota " if prefix == "Kota " else "") + rest
    return name


def tiles(rows: list[BoardRow]) -> list[Tile]:
    """Every regency's tile, coloured in five equal bands of the top score (level 0: no points)."""
    by_code = {r.team_code: r for r in rows}
    top = max((r.score for r in rows), default=Decimal(0))
    result = []
    for regency in regions.regencies():
        column, row = LAYOUT[regency.code]
        board_row = by_code.get(regency.code)
        score = board_row.score if board_row else Decimal(0)
        level = 0 if top <= 0 or score <= 0 else min(4, 1 + int(score * 4 / top))
        result.append(
            Tile(
                code=regency.code,
                name=regency.name,
                short=short_name(regency.name),
                column=column,
                row=row,
                rank=board_row.rank if board_row else None,
                shared=board_row.shared if board_row else False,
                score=score,
                level=level,
            )
        )
    return result


def legend(rows: list[BoardRow]) -> list[tuple[str, Decimal, Decimal]]:
    """(colour, from, to) of the four scoring bands."""
    top = max((r.score for r in rows), default=Decimal(0))
    if top <= 0:
        return []
    return [(COLOURS[level], top * (level - 1) / 4, top * level / 4) for level in range(1, 5)]
