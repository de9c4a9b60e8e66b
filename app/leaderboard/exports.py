"""A leaderboard view as CSV or XLSX: column headers through the catalogue, numbers as numbers (numeric
cells in XLSX, the recommended download; in CSV unformatted with a decimal point).

The CSV is written for spreadsheets set up the Indonesian way as well as the English way: its first line
`sep=,` tells Excel the separator whatever the computer's list separator (";" under Indonesian settings);
scores carry exactly two decimals, as on the pages, so a decimal point is never followed by three digits and
no spreadsheet can take it for a thousands separator ("102.083" read as 102083): under English settings
"102.08" is a number, under Indonesian ones it stays visible as text. Text cells go through
`app.spreadsheet`, so a team name never becomes a formula. No byte-order mark: Excel ignores the
`sep=` line after one, and the file's text (team names, rule titles) is plain ASCII in practice."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from app import i18n, spreadsheet
from app.leaderboard.views import Board

CENT = Decimal("0.01")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers(board: Board) -> list[str]:
    return [
        i18n._("Rank"),
        i18n._("Team code"),
        i18n._("Team"),
        i18n._("Score"),
        i18n._("Activities counted"),
        *[title for _rule, title in board.all_rules],
    ]


def _rows(board: Board) -> list[list[Any]]:
    return [
        [
            r.rank,
            r.team_code,
            r.team_name,
            r.score,
            r.counted,
            *[r.subtotals.get(rule, Decimal(0)) for rule, _ in board.all_rules],
        ]
        for r in board.rows
    ]


def filename(board: Board, fmt: str) -> str:
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{board.choice.view}-{board.choice.period}").strip("-")
    return f"peringkat-{board.competition.slug}-{label}.{fmt}"


def csv_bytes(board: Board) -> tuple[bytes, str]:
    out = io.StringIO()
    out.write("sep=,\r\n")
    writer = csv.writer(out)
    writer.writerow(spreadsheet.csv_row(headers(board)))
    for row in _rows(board):
        # Text through app.spreadsheet (no formula from a team name); numbers stay plain numbers.
        writer.writerow(
            [
                format(v.quantize(CENT), "f") if isinstance(v, Decimal) else spreadsheet.csv_cell(v)
                for v in row
            ]
        )
    return out.getvalue().encode(), "text/csv; charset=utf-8"


def xlsx_bytes(board: Board) -> tuple[bytes, str]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=i18n._("Leaderboard")[:31])
    sheet.append(spreadsheet.xlsx_row(sheet, headers(board)))
    for row in _rows(board):
        sheet.append(spreadsheet.xlsx_row(sheet, [float(v) if isinstance(v, Decimal) else v for v in row]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX
