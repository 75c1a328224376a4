"""static/js/shared/latest-wins.js in Chromium, driven by jobs the test resolves itself: a stroke's
end aborts the request in flight and asks again — unless that request already asks the same
(no ink since it started), when its answer is kept and reported as the stroke end's."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

# Each job the runner starts is recorded with its payload and signal and resolved by the
# test (`finish(i)`); `same` compares the payloads' `image`.
SETUP = """async () => {
  const { LatestWins } = await import('/static/js/shared/latest-wins.js');
  const log = { runs: [], results: [] };
  const runner = new LatestWins({
    minIntervalMs: 80,
    abortStale: true,
    same: (a, b) => a.image === b.image,
    run: (payload, signal) => new Promise((resolve) => log.runs.push({ payload, signal, resolve })),
    onResult: (result, payload) => log.results.push({ result, payload }),
    onError: (e) => log.results.push({ error: String(e) }),
  });
  window.t = {
    log,
    ask: (image, made, urgent) => runner.request(() => ({ image, made }), { urgent }),
    finish: (i) => log.runs[i].resolve(`answer ${i}`),
    state: () => ({
      runs: log.runs.map((r) => [r.payload.image, r.payload.made, r.signal.aborted]),
      results: log.results.map((r) => [r.result, r.payload.image, r.payload.made]),
    }),
  };
}"""

SETTLE = "() => new Promise((r) => setTimeout(r, 0))"  # the promise callbacks have run


@pytest.fixture
def page(desktop, server):
    page, _ = desktop
    page.goto(server.url + "/")  # a page of the app: it can import the module
    page.evaluate(SETUP)
    return page


def test_an_urgent_request_for_what_is_already_asked_keeps_the_job_in_flight(page):
    page.evaluate("t.ask('ink A', 'mid-stroke', false)")
    page.evaluate("t.ask('ink A', 'stroke end', true)")  # the stroke ended, no new ink
    page.evaluate("t.finish(0)")
    page.evaluate(SETTLE)
    state = page.evaluate("t.state()")
    assert state["runs"] == [["ink A", "mid-stroke", False]]  # asked once, never aborted
    assert state["results"] == [["answer 0", "ink A", "stroke end"]]  # reported as the end's


def test_an_urgent_request_for_new_ink_aborts_the_job_in_flight_and_asks_at_once(page):
    page.evaluate("t.ask('ink A', 'mid-stroke', false)")
    page.evaluate("t.ask('ink AB', 'stroke end', true)")
    page.evaluate("t.finish(0)")  # the aborted job's answer arrives anyway: dropped
    page.evaluate("t.finish(1)")
    page.evaluate(SETTLE)
    state = page.evaluate("t.state()")
    assert state["runs"] == [["ink A", "mid-stroke", True], ["ink AB", "stroke end", False]]
    assert state["results"] == [["answer 1", "ink AB", "stroke end"]]


def test_requests_while_one_runs_collapse_into_one_follow_up_with_the_latest_payload(page):
    page.evaluate("t.ask('ink A', 'first', false)")
    page.evaluate("t.ask('ink AB', 'second', false)")
    page.evaluate("t.ask('ink ABC', 'third', false)")
    page.evaluate("t.finish(0)")
    wait_until(page, "t.log.runs.length === 2")  # the follow-up, ≥ 80 ms after the first
    page.evaluate("t.finish(1)")
    page.evaluate(SETTLE)
    state = page.evaluate("t.state()")
    assert state["runs"] == [["ink A", "first", False], ["ink ABC", "third", False]]
    assert [r[0] for r in state["results"]] == ["answer 0", "answer 1"]
