"""The Berita Acara Penilaian: the signed record of a closed stage, as a PDF.

It names the competition, the stage, the date and place, the placings (Juara I–III, Harapan I–III: ranks
1–6, teams sharing a rank share its title), the full ranking, the panel of judges with a signature line each,
the head judge and the organiser who closed the stage. The document is always in Indonesian (it is an
official record, whatever language the organiser reads the site in), uses the PDF core font Helvetica
(Latin-1 text: typographic dashes and quotes are written as their ASCII forms) and is deterministic: the
same stage closed at the same moment gives the same bytes, whose SHA-256 is stored beside them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app import i18n

FONT = "Helvetica"
SIGNATURE_WIDTH = 60.0
_ASCII = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‒": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "•": "-",
        "×": "x",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


#: Places named in the Berita Acara: ranks 1–3 are Juara I–III, ranks 4–6 Harapan I–III.
TITLED_PLACES = 6


def place_title(rank: int, score: Decimal | None = None) -> str:
    """Juara I–III for ranks 1–3, Harapan I–III for ranks 4–6, "" otherwise (shared ranks share it; a team
    without points has no title)."""
    numerals = ("I", "II", "III")
    if score is not None and score <= 0:
        return ""
    if 1 <= rank <= 3:
        return i18n._("Champion %(n)s", n=numerals[rank - 1])
    if 4 <= rank <= TITLED_PLACES:
        return i18n._("Honourable mention %(n)s", n=numerals[rank - 4])
    return ""


def latin(text: str) -> str:
    """Text the core font can write: typographic marks as ASCII, accents kept where Latin-1 has them,
    other letters without their accents, anything else as "?"."""
    out = []
    for char in str(text).translate(_ASCII):
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        page = i18n._("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, latin(f"{self.footer_text} - {page}"), align="C")
        self.set_text_color(0, 0, 0)


def _score(value: Decimal) -> str:
    return i18n.format_number(value, 4)


def _parts(kind: str, parts: dict[str, Any]) -> str:
    if kind == "team":
        return i18n.ngettext("%(num)s review", "%(num)s reviews", int(parts.get("reviews", 0)))
    if kind == "activity" or "counted" in parts:
        return i18n.ngettext("%(num)s activity", "%(num)s activities", int(parts.get("counted", 0)))
    return "; ".join(
        f"{code} {_score(Decimal(p['score']))} x {i18n.format_number(Decimal(p['weight']), 4)}"
        for code, p in parts.items()
    )


def render_pdf(
    *,
    competition_name: str,
    place: str,
    timezone: str,
    stage: dict[str, Any],
    ranking: Sequence[dict[str, Any]],
    panel: Sequence[str],
    head_judge: str | None,
    closed_by: str,
    closed_at: datetime,
) -> bytes:
    """The Berita Acara of a closed stage as PDF bytes (in Indonesian)."""
    previous = i18n.get_locale()
    i18n.set_locale("id")
    try:
        return _render(
            competition_name=competition_name,
            place=place,
            timezone=timezone,
            stage=stage,
            ranking=ranking,
            panel=panel,
            head_judge=head_judge,
            closed_by=closed_by,
            closed_at=closed_at,
        )
    finally:
        i18n.set_locale(previous)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)


def _signature(pdf: FPDF, name: str) -> None:
    """A name with a signature line beside it, kept on one page."""
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font(FONT, size=10)
    pdf.cell(95, 12, latin(name), new_x=XPos.RIGHT, new_y=YPos.TOP)
    x = pdf.get_x()
    y = pdf.get_y() + 10
    pdf.line(x, y, x + SIGNATURE_WIDTH, y)
    pdf.ln(14)


def _render(
    *,
    competition_name: str,
    place: str,
    timezone: str,
    stage: dict[str, Any],
    ranking: Sequence[dict[str, Any]],
    panel: Sequence[str],
    head_judge: str | None,
    closed_by: str,
    closed_at: datetime,
) -> bytes:
    _ = i18n._
    local = closed_at.astimezone(ZoneInfo(timezone))
    stage_name = stage["name"]
    title = _("ASSESSMENT RECORD")
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.footer_text = f"{title} - {stage_name}"
    pdf.set_creation_date(closed_at)
    pdf.set_title(latin(f"{title} - {competition_name} - {stage_name}"))
    pdf.set_author("Sinergi")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()

    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 9, latin(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, latin(competition_name), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.cell(
        0, 6, latin(_("Stage: %(stage)s", stage=stage_name)), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(5)
    pdf.set_font(FONT, size=10)
    pdf.cell(35, 6, latin(_("Date")), new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.cell(0, 6, latin(": " + i18n.format_date(local.date())), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(35, 6, latin(_("Place")), new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.cell(0, 6, latin(": " + (place or "-")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.multi_cell(
        0,
        5.5,
        latin(
            _(
                "On %(date)s, at %(place)s, the panel of judges of %(competition)s completed the "
                "assessment of the stage %(stage)s. The reviews of this stage are final; the result is as "
                "follows.",
                date=i18n.format_date(local.date()),
                place=place or "-",
                competition=competition_name,
                stage=stage_name,
            )
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    _heading(pdf, _("Placings"))
    titled = [r for r in ranking if r["rank"] <= TITLED_PLACES and r["score"] > 0]
    if titled:
        with pdf.table(
            col_widths=(40, 100, 30),
            text_align=("LEFT", "LEFT", "RIGHT"),
            line_height=6,
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for label in (_("Award"), _("Team"), _("Score")):
                head.cell(latin(label))
            for r in titled:
                row = table.row()
                row.cell(latin(place_title(r["rank"])))
                row.cell(latin(r["team_name"]))
                row.cell(latin(_score(r["score"])))
    else:
        pdf.cell(0, 6, latin(_("No team was ranked in this stage.")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, _("Full ranking"))
    if ranking:
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=(20, 17, 68, 25, 40),
            text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT"),
            line_height=5,
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for label in (_("Rank"), _("Code"), _("Team"), _("Score"), _("Made of")):
                head.cell(latin(label))
            for r in ranking:
                row = table.row()
                row.cell(f"{r['rank']}=" if r.get("shared") else str(r["rank"]))
                row.cell(latin(r["team_code"]))
                row.cell(latin(r["team_name"]))
                row.cell(latin(_score(r["score"])))
                row.cell(latin(_parts(stage["kind"], r.get("parts") or {})))
        pdf.set_font(FONT, size=10)
        if any(r.get("shared") for r in ranking):
            pdf.set_font(FONT, size=8)
            pdf.cell(0, 5, latin(_("= a shared rank.")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FONT, size=10)

    _heading(pdf, _("Panel of judges"))
    if panel:
        for number, name in enumerate(panel, start=1):
            _signature(pdf, f"{number}. {name}")
    else:
        pdf.cell(0, 6, latin(_("No judge reviewed in this stage.")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if head_judge:
        _heading(pdf, _("Head judge"))
        _signature(pdf, head_judge)

    _heading(pdf, _("Organising committee"))
    pdf.multi_cell(
        0,
        5.5,
        latin(
            _(
                "The stage was closed by %(name)s on %(when)s.",
                name=closed_by,
                when=i18n.format_datetime(closed_at, timezone),
            )
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    _signature(pdf, closed_by)
    return bytes(pdf.output())
