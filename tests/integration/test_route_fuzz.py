"""Generated input at every HTML route: no value of a path parameter, a query parameter or a form field
earns a 5xx, whoever sends it.

The routes come from `app.routes` (a new route is fuzzed without being listed here), minus the JSON API
(schemathesis covers it: tests/integration/api/test_schemathesis.py) and endless streams (SSE). For each
route and method Hypothesis draws a role (anonymous, participant, judge, organiser), a value for each path
parameter (huge and negative integers, unicode, NUL, empty and very long strings, and ids that exist),
values for the query parameters the handler declares plus names the templates use and junk, and, for a
POST, a form body (urlencoded or multipart) sent with a valid CSRF token. A sweep first sends every route
the nastiest values once per role. The profile is fixed (derandomised, no example database), so CI runs
the same examples every time; SINERGI_FUZZ_EXAMPLES raises the count for a longer local search.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.from_thread
import anyio.to_thread
import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.response import Stream

from app.accounts.auth import SESSION_COOKIE
from app.accounts.services import open_session
from app.security import token_digest
from app.settings import REPO_ROOT
from app.tables import Account, AuthSession, Photo, RulesetVersion, Stage
from tests.integration.conftest import activity_form, form_key

EXAMPLES = int(os.environ.get("SINERGI_FUZZ_EXAMPLES", "10"))
ROLES = (None, "participant", "judge", "organiser")
USER_FOR_ROLE = {"participant": "peserta.sby", "judge": "juri.sby", "organiser": "panitia"}
SKIPPED_PREFIXES = ("/api/", "/schema")
# Signing out ends the session the other examples of that role use; /masuk covers the session routes.
SKIPPED = {("/keluar", "POST")}
# Names the handler signature carries that are not query parameters.
NOT_QUERY = {"request", "scope", "state", "headers", "cookies", "query", "body", "data", "socket", "self"}
NASTY = (
    "",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    str(2**31),
    str(2**63),
    "9" * 40,
    "-" + "9" * 40,
    "week:9999-W52",
    "month:0001-01",
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59",
    "1e999",
    "NaN",
    "-Infinity",
    "../../etc/passwd",
    "%00",
    "'; DROP TABLE activity; --",
    "<script>alert(1)</script>",
    "🙂" * 3,
    "\u202e\ufeff",
    "x" * 5000,
)


def _template_names() -> list[str]:
    """Every input name the templates render: what a browser would send back."""
    names: set[str] = set()
    for template in (REPO_ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'\bname="([A-Za-z_][\w.\-\[\]]*)"', template.read_text(encoding="utf-8")))
    return sorted(names)


def fuzz_table(app: Any) -> list[tuple[str, str, dict[str, type], list[str]]]:
    """(path, method, path parameter types, declared query names) of every HTML route."""
    table = []
    for route in app.routes:
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            signature = handler.parsed_fn_signature
            annotation = signature.return_type.annotation
            if isinstance(annotation, type) and issubclass(annotation, Stream):
                continue
            params = {name: p.type for name, p in route.path_parameters.items()}
            dependencies = set(handler.resolve_dependencies())
            query = sorted(
                name
                for name in signature.parameters
                if name not in params and name not in dependencies and name not in NOT_QUERY
            )
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                if (route.path, method) not in SKIPPED:
                    table.append((route.path, method, params, query))
    return table


text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(lambda char, n: char * n, st.characters(blacklist_categories=("Cs",)), st.integers(1, 6000)),
)


def path_value(kind: type, known: list[str]) -> st.SearchStrategy[str]:
    numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    good = st.sampled_from(known) if known else st.nothing()
    return st.one_of(good, numbers, text) if kind is int else st.one_of(good, text)


def build_url(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: quote(values[m.group(1)], safe=""), path)


class Fuzzer:
    """The role clients and the state a route may take away from them (an organiser disabling the
    participant, a password reset ending a session) put back before the next example."""

    def __init__(self, app: Any, season: Any) -> None:
        self.app = app
        self.season = season
        self.clients: dict[str | None, httpx.AsyncClient] = {}
        self.tokens: dict[str, str] = {}
        self.statuses: Counter[str] = Counter()
        self.failures: list[str] = []

    async def open(self) -> None:
        for n, role in enumerate(ROLES):
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app, client=(f"198.19.7.{n + 1}", 50000)),
                base_url="http://testserver.local",
                timeout=60,
            )
            await client.get("/masuk")
            self.clients[role] = client
        await self.restore()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def restore(self) -> None:
        ids = [self.season.accounts[USER_FOR_ROLE[r]] for r in ROLES if r]
        await Account.update({Account.is_active: True}).where(Account.id.is_in(ids))
        for role in ROLES:
            if role is None:
                continue
            token = self.tokens.get(role)
            if token is None or not await AuthSession.exists().where(
                AuthSession.token_hash == token_digest(token)
            ):
                token, _ = await open_session(self.season.accounts[USER_FOR_ROLE[role]], "web", 1)
                self.tokens[role] = token
                self.clients[role].cookies.set(SESSION_COOKIE, token)

    async def send(
        self,
        role: str | None,
        method: str,
        url: str,
        query: dict[str, str],
        form: dict[str, str],
        multipart: bool,
    ) -> None:
        client = self.clients[role]
        kwargs: dict[str, Any] = {"params": query, "follow_redirects": False}
        if method != "GET":
            kwargs["headers"] = {"x-csrftoken": client.cookies.get("csrftoken", "")}
            if multipart:
                kwargs["data"] = form
                kwargs["files"] = [("photos", ("foto.jpg", b"\xff\xd8\xff not a jpeg", "image/jpeg"))]
            else:
                kwargs["data"] = form
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.InvalidURL:
            return  # not a request a browser could send
        self.statuses[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            self.failures.append(
                f"{method} {url[:200]} as {role} query={str(query)[:200]} form={str(form)[:300]}: "
                f"{response.status_code}"
            )
        if method != "GET":
            await self.restore()


async def _known_values(season: Any, browser_factory: Any) -> dict[str, list[str]]:
    """Ids and codes that exist, so that generated input also reaches past "not found"."""
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    location = (await participant.send_activity(activity_form(key))).headers["location"]
    activity_id = re.search(r"/kegiatan/(\d+)", location).group(1)
    target = Account(username="sasaran", password_hash="x", role="judge")
    await target.save()
    photo = await Photo.select(Photo.id).first()
    stage = await Stage.select(Stage.id).first()
    version = await RulesetVersion.select(RulesetVersion.version).first()
    return {
        "activity_id": [activity_id],
        "account_id": [str(target.id)],
        "photo_id": [str(photo["id"])] if photo else [],
        "stage_id": [str(stage["id"])] if stage else [],
        "version": [str(version["version"])] if version else [],
        "index": ["0", "1"],
        "code": ["35.78", "35.07", "id", "en", "verifikasi"],
        "file_path": ["app.css", "htmx.min.js"],
    }


async def test_no_generated_input_earns_a_server_error(app, season, browser_factory):
    known = await _known_values(season, browser_factory)
    names = _template_names()
    table = fuzz_table(app)
    assert len(table) > 80, "the route table is read from the application"
    fuzzer = Fuzzer(app, season)
    await fuzzer.open()

    def send(*args: Any) -> None:
        anyio.from_thread.run(fuzzer.send, *args)

    def sweep() -> None:
        for path, method, params, query in table:
            for role in ROLES:
                for nasty in ("\x00", str(2**63), "-" + "9" * 40, "x" * 5000):
                    url = build_url(path, {name: nasty for name in params})
                    send(
                        role,
                        method,
                        url,
                        dict.fromkeys(query, nasty),
                        dict.fromkeys(names, nasty),
                        False,
                    )

    def search(path: str, method: str, params: dict[str, type], query: list[str]) -> None:
        query_names = st.sampled_from(sorted({*query, *names, "x", ""}))

        @given(
            role=st.sampled_from(ROLES),
            values=st.fixed_dictionaries({n: path_value(t, known.get(n, [])) for n, t in params.items()}),
            declared=st.fixed_dictionaries({}, optional={n: text for n in query}),
            extra=st.dictionaries(query_names, text, max_size=3),
            form=st.dictionaries(st.sampled_from([*names, "x"]), text, max_size=8),
            multipart=st.booleans(),
        )
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(
            role: str | None,
            values: dict[str, str],
            declared: dict[str, str],
            extra: dict[str, str],
            form: dict[str, str],
            multipart: bool,
        ) -> None:
            query_values = {**extra, **declared}
            send(
                role,
                method,
                build_url(path, values),
                query_values,
                form if method != "GET" else {},
                multipart,
            )

        run()

    def everything() -> None:
        sweep()
        for route in table:
            search(*route)

    try:
        await anyio.to_thread.run_sync(everything)
    finally:
        await fuzzer.close()
    print(sorted(fuzzer.statuses.items()), len(table), "routes")  # the figures, with pytest -s
    assert not fuzzer.failures, "\n".join(fuzzer.failures[:40])
    assert fuzzer.statuses["2xx"] > 50


def test_the_fuzzed_routes_come_from_the_application(settings: Any) -> None:
    """A route added to the application is fuzzed without being listed: the table is app.routes."""
    from litestar import get
    from litestar.params import FromPath, FromQuery

    from app.accounts.auth import public
    from app.main import create_app

    application = create_app(settings)

    @get("/baru-sekali/{n:int}", guards=[public], sync_to_thread=False)
    def brand_new(n: FromPath[int], saring: FromQuery[str | None] = None) -> str:
        return str(n)

    application.register(brand_new)
    rows = {(path, method): (params, query) for path, method, params, query in fuzz_table(application)}
    assert rows[("/baru-sekali/{n:int}", "GET")] == ({"n": int}, ["saring"])
    assert not any(path.startswith("/api/") or path == "/papan/sse" for path, _ in rows)
    assert Path(REPO_ROOT / "templates").is_dir() and "title" in _template_names()
