"""``GET /api/limits``: every limit the API enforces."""

from app.server.schemas import Limits

CONTRACT = [
    "max_image_bytes",
    "max_image_side",
    "max_conv_input_side",
    "max_channels",
    "max_kernel_side",
]


def test_limits_has_the_contract_fields_and_every_setting(client, settings):
    r = client.get("/api/limits")
    assert r.status_code == 200
    body = r.json()
    assert all(isinstance(body[name], int) and body[name] > 0 for name in CONTRACT)
    assert body == settings.limits()
    assert set(body) == set(Limits.model_fields)


def test_limits_follow_the_settings(make_client):
    body = make_client(max_image_bytes=1234, max_kernel_side=5).get("/api/limits").json()
    assert body["max_image_bytes"] == 1234
    assert body["max_kernel_side"] == 5
