"""A leaderboard view as CSV or XLSX: Indonesian column headers (through the catalogue), numbers as
numbers (a decimal point in CSV; numeric cells in XLSX)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from app import i18n
from app.leaderboard.views import Board

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers(board: Board) -> list[str]:
    return [
        i18n._("Rank"),
        i18n._("Team code"),
        i18n._("Team"),
        i18n._("Score"),
        i18n._("Activities counted"),
        *[title for _rule, title in board.rules],
    ]


def _rows(board: Board) -> list[list[Any]]:
    return [
        [
            r.rank,
            r.team_code,
            r.team_name,
            r.score,
            r.counted,
            *[r.subtotals.get(rule, Decimal(0)) for rule, _ in board.rules],
        ]
        for r in board.rows
    ]


def filename(board: Board, fmt: str) -> str:
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{board.choice.view}-{board.choice.period}").strip("-")
    return f"peringkat-{board.competition.slug}-{label}.{fmt}"


def csv_bytes(board: Board) -> tuple[bytes, str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(board))
    for row in _rows(board):
        writer.writerow([format(v, "f") if isinstance(v, Decimal) else v for v in row])
    # A BOM lets spreadsheet programs read the UTF-8 names correctly.
    return ("\ufeff" + out.getvalue()).encode(), "text/csv; charset=utf-8"


def xlsx_bytes(board: Board) -> tuple[bytes, str]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=i18n._("Leaderboard")[:31])
    sheet.append(headers(board))
    for row in _rows(board):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX
