"""The board policy: who may see a competition's leaderboard, and which one. Every door that shows
standings — the leaderboard page and its fragment, the SSE stream, the CSV/XLSX exports, the team page,
its summary and card, the map, the big screen, the per-stage board, the final results, the reveal and the
JSON API — asks here instead of deciding for itself.

- **Private board.** A competition marked private shows its board to signed-in accounts only, whatever
  their role (the rule the API and the per-stage board always had): an anonymous visitor is asked to sign
  in (`NotSignedIn`: pages redirect to the sign-in page, the API answers 401). Nothing is rendered,
  streamed or answered "unchanged" (204) before this check.
- **Webhooks.** What other systems are told follows the same two rules (`tells_public`,
  `board_frozen_for_public`): a private board's events go only to the endpoints the organisers trust, and
  while the board is frozen no event tells the public that the standings moved.
- **Freeze.** Organisers and judges see the live standings; everyone else (participants and the public)
  sees the board at the freeze: the snapshot's rows, the snapshot's version (`standings_version` too),
  and the team page's activities as they were at the freeze (`views.frozen_activities`).
"""

from __future__ import annotations

from typing import Any

from app import i18n
from app.competitions.services import CompetitionInfo
from app.errors import NotFound, NotSignedIn
from app.leaderboard import views
from app.tables import Competition


def sees_private_boards(viewer: Any) -> bool:
    """Who may see a private competition's board: any signed-in account (lists leave the others out)."""
    return viewer is not None


def ensure_board_visible(viewer: Any, competition: CompetitionInfo) -> None:
    """Raises NotSignedIn when the viewer may not see this competition's board."""
    if competition.is_private and not sees_private_boards(viewer):
        raise NotSignedIn(i18n._("Please sign in first."))


def audience(viewer: Any) -> str:
    """STAFF (live standings) or PUBLIC (the board at the freeze while frozen)."""
    return views.audience_of(viewer)


async def current_board(viewer: Any, max_age: float | None = None) -> views.State | None:
    """The current competition's state, if the viewer may see its board (None: no competition yet)."""
    state = await views.current_state(max_age=max_age)
    if state is not None:
        ensure_board_visible(viewer, state.info)
    return state


async def require_board(viewer: Any) -> views.State:
    """Like `current_board`, for doors that have nothing to show without a competition."""
    state = await current_board(viewer)
    if state is None:
        raise NotFound(i18n._("There is no competition yet."))
    return state


async def board_of(viewer: Any, competition: CompetitionInfo) -> views.State:
    """A named competition's state (the API's doors), if the viewer may see its board."""
    ensure_board_visible(viewer, competition)
    state = await views.competition_state(competition.id)
    if state is None:
        raise NotFound(i18n._("Competition not found."))
    return state


def frozen_for(viewer: Any, state: views.State) -> bool:
    return state.frozen_for(audience(viewer))


def restricted(viewer: Any, state: views.State, is_stored: bool) -> bool:
    """Whether the viewer gets no rows for this view and period (the public while frozen, beyond the
    overall season): the page, its fragment, the exports and the API give the same verdict."""
    return state.restricted_for(audience(viewer), is_stored)


def standings_version(viewer: Any, state: views.State) -> int:
    """The standings version the viewer may know: while frozen, the public's stays the freeze's, so no
    door tells that the standings moved since."""
    return state.version_for(audience(viewer))


def standings_version_of_row(viewer: Any, row: dict[str, Any]) -> int:
    """`standings_version` of a competition row (lists), under the same rule."""
    return standings_version(viewer, views.state_of(row))


def tells_public(competition: CompetitionInfo) -> bool:
    """Whether anyone may see this competition's board (its webhook events may go to any endpoint); a
    private board's go only to endpoints the organisers marked trusted."""
    return not competition.is_private or sees_private_boards(None)


async def board_frozen_for_public(competition_id: int) -> bool:
    """Whether the public sees this competition's board at the freeze, read now in the caller's
    transaction (not from the read cache): webhooks tell no one that the standings moved while it holds."""
    row = await Competition.select().where(Competition.id == competition_id).first()
    return row is not None and frozen_for(None, views.state_of(row))
