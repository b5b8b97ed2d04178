"""What the first reader of a fresh server waits for, with the warm-up of default views off and on, in one run.

    python tools/firstvisit.py [--read SECONDS]

For each setting a fresh server is started; one reader (a protocol-level session, tools/wire.py, so no browser
shares the CPU) opens Home, reads for --read seconds (default 30), then opens every other page once, then every
page again. Printed per page: the server's time from the request to "script finished", first visit and again.
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

SETTINGS = (("warm-up off", {"GD_WARM": "0"}), ("warm-up on", {"GD_WARM": "1"}))


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
    args = parser.parse_args()
    results = {}
    for label, env in SETTINGS:
        with browser.server(env=env) as srv:
            start = time.perf_counter()
            results[label] = asyncio.run(visits(srv.url, args.read))
            print(f"{label}: done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(f"{'page':28s}" + "".join(f"{label + ', first':>22s}{'again':>8s}" for label, _ in SETTINGS))
    for path, _, title in browser.PAGES:
        key = path.strip("/")
        print(f"{title:28s}" + "".join(f"{results[label][0][key]:21.2f}s{results[label][1][key]:7.2f}s"
                                       for label, _ in SETTINGS))


if __name__ == "__main__":
    main()
