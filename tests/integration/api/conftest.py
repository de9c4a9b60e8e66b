"""The API tests' client fixture (`api_factory`), shared by every module here."""

from tests.integration.api.helpers import api_factory

__all__ = ["api_factory"]
