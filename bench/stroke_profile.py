"""Where a stroke's time goes in Chromium: per stroke, the explorer's renders and each
``/activations`` fetch (duration, download, server time), then a CPU profile's top functions.

    python bench/stroke_profile.py MODELS_DIR MODEL_ID [--strokes 8]

Serves ``MODELS_DIR`` (``python -m app`` on a free port), opens ``/?model=MODEL_ID``, clears and
draws like ``stroke_roundtrip.py``, and prints one JSON line per stroke: ``total`` (stroke end
→ maps redrawn, ms), ``renders`` (each ``explorer:render``, ms) and ``fetches`` ([duration,
download, server time] ms). The profile (V8 sampling, from the third stroke on) is summed by
function, self time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stroke_roundtrip import STROKES, open_explorer, server, stroke  # noqa: E402

CLEAR = "() => { performance.clearMeasures(); performance.clearResourceTimings(); }"
READ = """() => ({
  total: performance.getEntriesByName('explorer:stroke-to-render')[0].duration,
  renders: performance.getEntriesByName('explorer:render').map(e => Math.round(e.duration)),
  fetches: performance.getEntriesByType('resource').filter(e => e.name.includes('activations'))
    .map(e => [Math.round(e.duration), Math.round(e.responseEnd - e.responseStart),
               (e.serverTiming[0] || {}).duration]),
})"""


def top_functions(profile: dict, n: int = 15) -> list[tuple[float, str]]:
    nodes = {node["id"]: node for node in profile["nodes"]}
    totals: dict[str, float] = {}
    deltas = profile["timeDeltas"][1:] + [0]
    for sample, dt in zip(profile["samples"], deltas, strict=True):
        frame = nodes[sample]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1]
        key = f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber']}"
        totals[key] = totals.get(key, 0.0) + dt / 1000
    return sorted(((ms, k) for k, ms in totals.items()), reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models_dir")
    ap.add_argument("model_id")
    ap.add_argument("--strokes", type=int, default=8)
    args = ap.parse_args()
    env = {"CNN_EXPLORER_MODELS_DIR": args.models_dir, "CNN_EXPLORER_DEFAULT_MODEL": args.model_id}
    with server(None, env) as url, sync_playwright() as p:
        browser, page, pad = open_explorer(p, url, args.model_id)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        for i in range(args.strokes):
            clear = page.get_by_test_id("clear")
            if clear.is_enabled():
                clear.click()
            page.evaluate(CLEAR)
            if i == 2:
                cdp.send("Profiler.start")
            stroke(page, pad.bounding_box(), STROKES[i % len(STROKES)])
            page.wait_for_function(
                "() => performance.getEntriesByName('explorer:stroke-to-render').length > 0"
            )
            print(json.dumps(page.evaluate(READ)))
        profile = cdp.send("Profiler.stop")["profile"]
        browser.close()
    for ms, where in top_functions(profile):
        print(f"{ms:9.1f} ms  {where}")


if __name__ == "__main__":
    main()
