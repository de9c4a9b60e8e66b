"""Every API route, asked by every role with a bearer token; the OpenAPI document and its page.

The page route matrix (tests/integration/test_routes.py) signs in with cookies, which the API ignores by
design; the API's routes are walked here instead, the same way, with tokens.
"""

from __future__ import annotations

import re

from app.accounts.auth import AUTHENTICATED, PUBLIC
from app.accounts.services import open_session
from app.tables import Stage
from tests.integration.api.helpers import activity_body

USER_FOR_ROLE = {
    "participant": "peserta.sby",
    "judge": "juri.mlg",
    "organiser": "panitia",
    "officer": "petugas.sby",
}


def api_routes(app):
    table = []
    for route in app.routes:
        if not route.path.startswith(("/api/", "/schema")):
            continue
        for handler in getattr(route, "route_handlers", []):
            guards = [
                g.roles
                for layer in handler.ownership_layers
                for g in layer.guards or []
                if hasattr(g, "roles")
            ]
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                table.append((route.path, method, tuple(guards)))
    return table


def allowed(guards, role):
    return all(
        PUBLIC in roles or (role is not None and (AUTHENTICATED in roles or role in roles))
        for roles in guards
    )


async def test_every_api_route_is_guarded_and_answers_by_role(app, season, api_factory):
    table = api_routes(app)
    assert not [f"{m} {p}" for p, m, guards in table if not guards], "every API route declares who may use it"
    participant = await api_factory("peserta.sby")
    created = await participant.post(
        "/api/v1/competitions/uji/activities", activity_body(), headers={"Idempotency-Key": "matrix"}
    )
    stage = await Stage.select(Stage.id).where(Stage.code == "verifikasi").first()
    values = {
        "slug": "uji",
        "code": "35.78",
        "activity_id": str(created.json()["id"]),
        "path": "nope",
        "assignment_id": "1",
        "review_id": "1",
        "photo_id": "1",
        # The organiser's own account: disabling it is refused (409), enabling it changes nothing.
        "account_id": str(season.accounts["panitia"]),
        "webhook_id": "1",
        "delivery_id": "1",
        "stage_id": str(stage["id"]),
    }
    clients = {None: await api_factory()}
    for role, username in USER_FOR_ROLE.items():
        client = await api_factory()
        client.token, _ = await open_session(season.accounts[username], "api", 1)
        clients[role] = client
    failures = []
    # Revoking the token is asked last, or it would sign the roles out halfway.
    revokes = ("/api/v1/auth/token", "DELETE")
    for path, method, guards in sorted(
        table, key=lambda r: ((r[0], r[1]) == revokes, r[1] == "DELETE", r[0])
    ):
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)
        for role, client in clients.items():
            response = await client.client.request(method, url, json={}, headers=client._headers(None, None))
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {path} as {role}: {status}")
            elif allowed(guards, role):
                if status in (401, 403) and not (path.endswith("/reviews") and status == 403):
                    failures.append(f"{method} {path} as {role}: refused ({status})")
            elif status != (401 if role is None else 403):
                failures.append(f"{method} {path} as {role}: {status}")
    assert not failures, "\n".join(failures)


async def test_openapi_document_covers_every_api_route(app, season, api_factory):
    anonymous = await api_factory()
    response = await anonymous.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = {
        (re.sub(r"\{(\w+):\w+\}", r"{\1}", path), method)
        for path, method, _ in api_routes(app)
        if path.startswith("/api/")
    }
    assert routes == documented
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    page = await anonymous.get("/schema")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/api/v1/competitions/{slug}/leaderboard" in page.text and "<script" not in page.text
