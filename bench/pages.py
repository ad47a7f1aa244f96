"""Benchmark: the pages' first render in headless Chromium — time from navigation to the map's
`idle` (every layer in the style, every tile loaded and drawn) — and how the map answers a zoom.

Starts `kindmap serve` on a free port against the configured database (KINDMAP_PG_* /
KINDMAP_DATABASE_URL: the demo's `kindmap`, or `kindmap_full` for every English LSOA), then opens
each view in a fresh browser context (an empty browser cache) `--rounds` times. The first round
meets the server's cold tile caches; the others its warm ones. For each view it also zooms in one
level and times the next `idle`, and records the longest main-thread task seen meanwhile and the
time to redraw one frame of the view (the page's responsiveness: a long task is time the page
could not answer a click or a key; a frame's time is what panning costs once the tiles are in).
Then the area profile and the priorities page (`"pages"`): time from navigation to the profile's
map idle with every table and chart drawn, and to the priorities' ranked table and map drawn.

    .venv/bin/python -m bench.pages [--rounds 5] [--view NAME=#fragment …] [--screenshots DIR]

Prints JSON. Chromium draws with SwiftShader (WebGL on the CPU) here, so the drawing itself is
slower than on a desktop with a GPU. Timings are for reading, never for pass/fail tests.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.browser import chromium, open_page
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
VIEWS = {
    "england-gap": "#zoom=5.40&lat=52.9000&lon=-1.9000&categories=library&year=2016&measure=gap_score",
    "rutland": "#zoom=10.00&lat=52.6600&lon=-0.6400&categories=library&year=2016&measure=gap_score&area=E06000017",
    "manchester": "#zoom=9.00&lat=53.4500&lon=-2.2500&categories=library&year=2016&measure=nearest_m",
}
# Resolves, in the page, to what the bench reports: the time since navigation began when the map
# first settled, the small areas drawn, and then the zoom's time to idle and longest task.
MEASURE = """async () => {
  const longest = { ms: 0 };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) longest.ms = Math.max(longest.ms, e.duration); })
    .observe({ type: "longtask", buffered: true });
  await window.kindmap.settled();
  const firstIdleMs = performance.now();
  const map = window.kindmap.map;
  await new Promise((resolve) => setTimeout(resolve, 50));  // long-task entries arrive after the task
  const firstLongestTaskMs = longest.ms;
  const repaints = [];  // one frame of the whole view redrawn (what panning costs once tiles are in)
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    map.triggerRepaint();
    await map.once("render");
    repaints.push(performance.now() - t);
  }
  longest.ms = 0;
  const started = performance.now();
  map.zoomTo(map.getZoom() + 1, { duration: 0 });
  await map.once("idle");
  const zoomMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const zoomLongestTaskMs = longest.ms;
  map.zoomTo(map.getZoom() - 1, { duration: 0 });  // back to the view as linked, to count what it drew
  await map.once("idle");
  const smallAreas = new Set(map.queryRenderedFeatures({ layers: ["small-area-fill", "small-area-points"] })
    .map((f) => f.properties.code)).size;
  return { first_idle_ms: firstIdleMs, small_areas_drawn: smallAreas,
           longest_task_before_idle_ms: firstLongestTaskMs, repaint_median_ms: repaints.sort((a, b) => a - b)[2],
           zoom_in_to_idle_ms: zoomMs, longest_task_during_zoom_ms: zoomLongestTaskMs };
}"""


# The other pages' first render: each records performance.now() once its figures are drawn — the
# area profile when its map is idle and every table and chart is drawn (its API calls included),
# the priorities page when its ranked table is filled and its map idle.
PAGES = {
    "area-profile": ("/areas/E06000017", "window.kindmapProfile.ready.then(() => window.kindmapProfile.drawnMs)"),
    "priorities": ("/priorities", "new Promise((resolve) => { const wait = () => window.kindmapPriorities.firstRenderMs "
                                  "? resolve(window.kindmapPriorities.firstRenderMs) : setTimeout(wait, 20); wait(); })"),
}


def time_pages(browser, url: str, rounds: int) -> dict:
    """{page: {cold, warm_median: {drawn_ms}}}: navigation → the page's figures drawn."""
    results = {}
    for name, (path, drawn) in PAGES.items():
        times = []
        for _ in range(rounds):
            visit = open_page(browser, url, path)
            times.append({"drawn_ms": visit.page.evaluate(f"async () => await ({drawn})")})
            if visit.external or visit.console_errors:
                raise SystemExit(f"{name}: external {visit.external}, errors {visit.console_errors}")
            visit.page.context.close()
        results[name] = summary(times)
    return results


def serve() -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = Path(tempfile.gettempdir()) / "kindmap-bench-pages-server.log"
    process = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=ROOT,
                               env={**os.environ, "KINDMAP_PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start; see {log}")


def summary(rounds: list[dict]) -> dict:
    first, warm = rounds[0], rounds[1:] or rounds
    return {"cold": {k: round(v, 1) for k, v in first.items()},
            "warm_median": {k: round(statistics.median(r[k] for r in warm), 1) for k in first}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--view", action="append", default=[], metavar="NAME=#FRAGMENT",
                        help="a view of /map to time (default: England, Rutland, Manchester)")
    parser.add_argument("--screenshots", type=Path, help="also save each view as DIR/map-<name>.png "
                        "(docs/screenshots/ for the README)")
    args = parser.parse_args()
    views = dict(v.split("=", 1) for v in args.view) or VIEWS
    process, url = serve()
    results = {}
    try:
        with chromium() as browser:
            for name, fragment in views.items():
                rounds = []
                for _ in range(args.rounds):
                    visit = open_page(browser, url, "/map" + fragment)
                    rounds.append(visit.page.evaluate(MEASURE))
                    if visit.external or visit.console_errors:
                        raise SystemExit(f"{name}: external {visit.external}, errors {visit.console_errors}")
                    if args.screenshots and len(rounds) == 1:  # MEASURE leaves the view as linked
                        visit.page.screenshot(path=str(args.screenshots / f"map-{name}.png"))
                    visit.page.context.close()
                results[name] = summary(rounds)
            pages = time_pages(browser, url, args.rounds)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(json.dumps({"database": os.environ.get("KINDMAP_PG_DATABASE", "kindmap"), "rounds": args.rounds,
                      "views": results, "pages": pages}, indent=2))


if __name__ == "__main__":
    main()
