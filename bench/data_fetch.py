"""Benchmark: `kindmap data fetch` of the whole catalog from a loopback mirror of ../shared/data,
against the floor (the same httpx client streaming the same files to disk, no check, no rename)
and pooch (its own retrieve(), known SHA-256), in the same run; then one download cut at half-way,
where the bytes the server sends again are what a resume saves.

pooch is not a dependency of kindmap; the bench installs it apart:

    .venv/bin/pip install --target .kindmap/pooch pooch
    .venv/bin/python -m bench.data_fetch [--rounds 5]        # make bench-fetch

Prints medians (s) and ratios to the floor, the bytes sent for the cut download, and the load
average before and after. Timings are for reading here, never for pass/fail tests.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from datasets.catalog import catalog
from datasets.download import Fetcher
from tests.mirror_server import serving

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CUT = "lookups/lsoa11_to_lsoa21_to_lad22.csv"


def floor(url: str, files, dest: Path) -> None:
    with httpx.Client() as client:
        for f in files:
            target = dest / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            with client.stream("GET", f"{url}/{f.path}") as response, open(target, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)


def kindmap(url: str, files, dest: Path) -> None:
    with Fetcher(dest, url, progress=False) as fetcher:
        fetcher.fetch_all(files)


def pooch_fetch(url: str, files, dest: Path) -> None:
    import pooch

    for f in files:
        pooch.retrieve(f"{url}/{f.path}", known_hash=f"sha256:{f.sha256}", path=dest / Path(f.path).parent,
                       fname=Path(f.path).name, progressbar=False)


def timed(how, url: str, files) -> float:
    dest = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    try:
        started = time.perf_counter()
        how(url, files, dest)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / ".kindmap" / "pooch"))
    try:
        import pooch

        pooch.get_logger().setLevel("WARNING")
        ways = {"floor": floor, "kindmap": kindmap, "pooch": pooch_fetch}
    except ImportError:
        print("pooch is not installed in .kindmap/pooch: only kindmap and the floor are timed")
        ways = {"floor": floor, "kindmap": kindmap}
    files = catalog().select()
    print(f"load before: {os.getloadavg()}; {len(files)} files, {sum(f.size for f in files):,} bytes")
    times = {name: [] for name in ways}
    with serving(SHARED) as server:
        for _ in range(args.rounds):  # alternating, so a noisy moment hits each alike
            for name, how in ways.items():
                times[name].append(timed(how, server.url, files))
        medians = {name: statistics.median(t) for name, t in times.items()}
        for name, median in medians.items():
            print(f"{name:8} median {median:.3f} s  ({median / medians['floor']:.2f}x floor)  "
                  f"all: {', '.join(f'{t:.3f}' for t in times[name])}")
        cut = next(f for f in files if f.path == CUT)
        for name in [n for n in ("kindmap", "pooch") if n in ways]:
            server.sent.clear()
            server.faults[CUT] = "cut"
            dest = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
            try:
                if name == "kindmap":
                    with Fetcher(dest, server.url, attempts=3, backoff_s=0.01, progress=False) as fetcher:
                        fetcher.fetch(cut)
                else:
                    import pooch
                    registry = pooch.create(path=dest, base_url=f"{server.url}/", retry_if_failed=3,
                                            registry={cut.path: f"sha256:{cut.sha256}"})
                    registry.fetch(cut.path)
            finally:
                shutil.rmtree(dest)
            print(f"cut at half-way, {name}: the server sent {server.sent[CUT]:,} bytes for a "
                  f"{cut.size:,}-byte file ({server.sent[CUT] / cut.size:.2f}x)")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
