"""Server time and payload size of the explorer's hot endpoints, against a running server.

    python -m app &                       # or CNN_EXPLORER_PORT=... python -m app
    python bench/api_latency.py --url http://127.0.0.1:8000 --model mnist-cnn -n 200

Server time is read from each response's ``Server-Timing: app;dur=<ms>`` header (request in to
response start, inside the app); wall time is the client's round trip over one keep-alive
connection. The input is a 28×28 digit drawn as ``pixels``, or (the two ``png=`` cases, a
label the server ignores) a 7 as the explorer's pad exports it, a PNG of that many pixels.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import statistics
import time
from urllib.parse import urlsplit

from PIL import Image, ImageDraw


def digit() -> list[list[float]]:
    """A 28×28 "7": a top bar and a diagonal stroke."""
    img = [[0.0] * 28 for _ in range(28)]
    for c in range(7, 21):
        img[6][c] = img[7][c] = 1.0
    for r in range(8, 23):
        c = 20 - (r - 8) * 9 // 14
        img[r][c] = img[r][c - 1] = 1.0
    return img


def drawing_png(side: int) -> str:
    """A 7 drawn as the pad exports it: ink in the alpha channel of a ``side`` px PNG."""
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    f = side / 280
    points = [(70 * f, 56 * f), (210 * f, 56 * f), (126 * f, 238 * f)]
    ImageDraw.Draw(img).line(points, fill=(17, 24, 39, 255), width=round(24 * f), joint="curve")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def measure(conn, method: str, path: str, body: bytes | None, n: int) -> dict:
    headers = {"content-type": "application/json"} if body else {}
    server, wall, size = [], [], 0
    for _ in range(n):
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        wall.append((time.perf_counter() - start) * 1000)
        if resp.status != 200:
            raise SystemExit(f"{method} {path}: HTTP {resp.status}: {data[:300]!r}")
        timing = resp.getheader("server-timing", "app;dur=nan")
        server.append(float(timing.split("dur=")[1]))
        size = len(data)

    def pct(xs, q):
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    return {
        "server_p50_ms": round(statistics.median(server), 2),
        "server_p90_ms": round(pct(server, 0.9), 2),
        "wall_p50_ms": round(statistics.median(wall), 2),
        "bytes": size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--model", default="mnist-cnn")
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()
    url = urlsplit(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    body = json.dumps({"pixels": digit()}).encode()
    unit = json.dumps({"pixels": digit(), "unit": [5, 7, 7]}).encode()
    drawn = {side: json.dumps({"image": drawing_png(side)}).encode() for side in (280, 140)}
    base = f"/api/models/{args.model}"
    cases = [
        ("POST", f"{base}/activations", body),
        ("POST", f"{base}/activations?format=float32", body),  # what the explorer reads
        ("POST", f"{base}/activations?format=float16", body),
        # the explorer sends the drawing as a PNG of drawing.exportSize px (was 280, now 140)
        ("POST", f"{base}/activations?format=float32&png=280", drawn[280]),
        ("POST", f"{base}/activations?format=float32&png=140", drawn[140]),
        ("POST", f"{base}/layers/3/connections", unit),  # pointing at a conv2 unit
        ("POST", f"{base}/predict", body),
        ("POST", f"{base}/layers/0/feature-maps.png", body),
        ("GET", f"{base}/layers/0/weight-matrix", None),
    ]
    for method, path, payload in cases:
        measure(conn, method, path, payload, 5)  # warm up
        result = measure(conn, method, path, payload, args.n)
        print(f"{method} {path}: {json.dumps(result)}")


if __name__ == "__main__":
    main()
