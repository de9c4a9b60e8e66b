"""The webhook tests' fixtures: the API client (`api_factory`) and a real HTTP receiver on loopback."""

from collections.abc import Iterator

import pytest

from tests.integration.api.helpers import api_factory
from tests.integration.webhooks.receiver import Receiver

__all__ = ["api_factory", "receiver"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
