"""schemathesis against a real server process: every operation of the OpenAPI document, generated input
(valid and invalid), an organiser's token; no 5xx and no response that breaks the schema."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import anyio.to_thread
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.accounts.services import open_session
from app.settings import REPO_ROOT
from app.tables import Assignment, Stage
from tests.integration.api.helpers import activity_body
from tests.integration.conftest import jpeg

ROLE_OF = {
    "submitActivity": "participant",
    "addPhoto": "participant",
    "reviewActivity": "judge",
    "declareConflict": "judge",
    "listQueue": "judge",
    "nextAssignment": "judge",
    "skipAssignment": "judge",
    "reviewTeam": "judge",
}
EXAMPLES = 15  # per operation and mode: 17 operations x 2 modes x 15 stays well under a minute


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(season) -> Any:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=dict(os.environ),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def _run(base: str, tokens: dict[str, str], known: dict[str, Any], statuses: Counter[str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    failures: list[str] = []
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking the token ends the run's authority: that operation goes last.
    operations.sort(
        key=lambda op: (op.method.upper() == "DELETE" and op.path.endswith("/auth/token"), op.path)
    )
    assert len(operations) >= 18
    checks = [not_a_server_error, response_schema_conformance]

    def exercise(strategy: Any, label: str, headers: dict[str, str]) -> None:
        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(base_url=base, session=session, headers=headers)
            statuses[f"{response.status_code // 100}xx"] += 1
            statuses[f"{label} {response.status_code}"] += 1
            try:
                case.validate_response(response, checks=checks)
            except AssertionError as exc:  # schemathesis' failure groups are assertion errors
                failures.append(f"{label}: {exc}"[:2000])

        # Unsatisfiable: nothing to make invalid (no parameters, no body), so nothing to send.
        with contextlib.suppress(Unsatisfiable):
            run()

    for operation in operations:
        role = ROLE_OF.get(operation.definition.raw.get("operationId", ""), "organiser")
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        names = {p.name for p in operation.path_parameters}
        # Valid input names things that exist; invalid input is left to schemathesis entirely.
        fixed = {name: value for name, value in known.items() if name in names}
        label = f"{operation.method.upper()} {operation.path}"
        exercise(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed),
            label,
            headers,
        )
        exercise(
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), f"{label} (invalid)", headers
        )
    return failures


async def test_schemathesis_finds_no_server_error_and_no_schema_break(season, server, api_factory):
    tokens = {
        role: (await open_session(season.accounts[username], "api", 1))[0]
        for role, username in (
            ("organiser", "panitia"),
            ("participant", "peserta.mlg"),
            ("judge", "juri.sby"),
        )
    }
    participant = await api_factory("peserta.mlg")
    created = await participant.post(
        "/api/v1/competitions/uji/activities",
        activity_body(desa_code="35.07.01.2001"),
        headers={"Idempotency-Key": "schemathesis"},
    )
    activity_id = created.json()["id"]
    photo = await participant.post(
        f"/api/v1/activities/{activity_id}/photos", files={"file": ("foto.jpg", jpeg(), "image/jpeg")}
    )
    assignment = await Assignment.select(Assignment.id).where(Assignment.activity == activity_id).first()
    organiser = await api_factory("panitia")
    spare = await organiser.post(
        "/api/v1/users", {"username": "juri.cadangan", "password": "rahasia-123", "role": "judge"}
    )
    known = {
        "slug": "uji",
        "code": "35.07",
        "activity_id": activity_id,
        "photo_id": photo.json()["id"],
        "assignment_id": assignment["id"],
        # A spare account: disabling it signs none of the run's tokens out.
        "account_id": spare.json()["id"],
        "stage_id": (await Stage.select(Stage.id).where(Stage.code == "verifikasi").first())["id"],
    }
    statuses: Counter[str] = Counter()
    failures = await anyio.to_thread.run_sync(_run, server, tokens, known, statuses)
    print(sorted(statuses.items()))  # the figures, with pytest -s
    assert not failures, "\n\n".join(failures[:10])
    assert statuses["2xx"] > 50 and statuses["5xx"] == 0
