"""The anatomy tests' client: an app whose registry holds ``two-convs`` (``tests.utils``)."""

from __future__ import annotations

import pytest

from tests.utils import anatomy_client


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    c = anatomy_client(tmp_path_factory.mktemp("models"))
    yield c
    c.__exit__(None, None, None)
