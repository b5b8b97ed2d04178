"""What the first reader of a fresh server waits for, as the app is served (app.py, whose warm-up of every page's
default view starts with the server), against the router served alone (app_router.py, whose warm-up starts at the
first visit) and with no warm-up, in one run.

    python tools/firstvisit.py [--read SECONDS] [--arrive SECONDS]

For each setting a fresh server is started and timed until it answers its health check; one reader (a
protocol-level session, tools/wire.py, so no browser shares the CPU) arrives --arrive seconds later (default 0: the
reader who was waiting for the server), opens Home, reads for --read seconds (default 30), then opens every other
page once, then every page again. Printed: each server's start, and per page the server's time from the request to
"script finished", first visit and again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser
import wire

SETTINGS = (  # label, the file `streamlit run` serves, the environment
    ("no warm-up", "app_router.py", {"GD_WARM": "0"}),
    ("warm-up at 1st visit", "app_router.py", {"GD_WARM": "1"}),
    ("as served (app.py)", "app.py", {"GD_WARM": "1"}),
)


async def visits(url: str, read: float) -> tuple[dict[str, float], dict[str, float]]:
    paths = [path.strip("/") for path, _, _ in browser.PAGES]
    session = wire.WireSession(url)
    first = {"": await session.open()}
    await asyncio.sleep(read)
    for path in paths[1:]:
        first[path] = await session.run(path)
    again = {path: await session.run(path) for path in paths}
    await session.close()
    return first, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", type=float, default=30.0, help="seconds the reader spends on Home (default 30)")
    parser.add_argument("--arrive", type=float, default=0.0,
                        help="seconds after the server is up that the reader arrives (default 0)")
    args = parser.parse_args()
    results, started = {}, {}
    for label, script, env in SETTINGS:
        start = time.perf_counter()
        with browser.server(env=env, script=script) as srv:
            started[label] = time.perf_counter() - start
            time.sleep(args.arrive)
            results[label] = asyncio.run(visits(srv.url, args.read))
            print(f"{label}: done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(f"{'':28s}" + "".join(f"{label:>30s}" for label, _, _ in SETTINGS))
    print(f"{'server up after (s)':28s}" + "".join(f"{started[label]:30.2f}" for label, _, _ in SETTINGS))
    print(f"{'page':28s}" + f"{'first':>22s}{'again':>8s}" * len(SETTINGS))
    for path, _, title in browser.PAGES:
        key = path.strip("/")
        print(f"{title:28s}" + "".join(f"{results[label][0][key]:21.2f}s{results[label][1][key]:7.2f}s"
                                       for label, _, _ in SETTINGS))


if __name__ == "__main__":
    main()
