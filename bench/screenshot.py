"""The README's screenshots: `wavehouse serve` on the published warehouse (127.0.0.1, a free port),
Debian's Chromium through Playwright, PNGs of the pages as a person uses them.

    python bench/screenshot.py            # docs/img/: track.png (Ghost - Acoustic, its sound compared
                                          # with its first recommendation), map.png (the song found on
                                          # the map), playlist.png (the builder), track_phone.png (390 px)
    python bench/screenshot.py --track 7qiZfU4dY1lWllzX7mPBI3 --out /tmp/img
    python bench/screenshot.py --page /listener/alex --width 390 --out docs/img/listener_phone.png

With --page, a full-page PNG of that page as it opens, and whether it scrolls sideways at that width.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--track", default="4qPNDBW1i3p13qLCt0Ki3A")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="a folder (a file with --page)")
    parser.add_argument("--page", default=None, help="another page to take as it opens, e.g. /listener/alex")
    parser.add_argument("--width", type=int, default=1200, help="viewport width in CSS pixels (a phone: 390)")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("wavehouse")), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/api/evaluation", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": args.width, "height": 900})
            if args.page:
                page.goto(base + args.page)
                wide = page.evaluate("document.documentElement.scrollWidth")
                print(
                    f"{args.page} at {args.width} px: {wide} px wide ({'no ' if wide <= args.width else ''}sideways scroll)"
                )
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
            else:
                the_pages(page, base, args.track, args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"wrote {args.out}")


def the_pages(page, base: str, track: str, out: Path) -> None:
    """The README's four screenshots of `track`'s pages into the folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    page.route("https://open.spotify.com/**", lambda route: route.abort())  # offline: no player
    page.goto(f"{base}/track/{track}")
    page.locator("button.compare").first.click()
    page.wait_for_selector("#sound path")
    page.screenshot(path=str(out / "track.png"), full_page=True)
    page.goto(f"{base}/clusters")
    page.wait_for_function("document.getElementById('map').dataset.ready > 0")
    title = page.request.get(f"{base}/api/tracks/{track}").json()["track_name"]
    page.fill("#song", title)
    page.press("#song", "Enter")
    page.wait_for_function("marked.length > 1")
    page.click("#reset")  # the whole map, the song and its neighbours still ringed
    page.screenshot(path=str(out / "map.png"), full_page=False, clip={"x": 0, "y": 0, "width": 1200, "height": 900})
    page.goto(f"{base}/playlist?seed={track}&n=12&discovery=0.7")
    page.screenshot(path=str(out / "playlist.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/track/{track}")
    page.screenshot(path=str(out / "track_phone.png"), full_page=False)
    print(f"{title}: track.png, map.png, playlist.png, track_phone.png")


if __name__ == "__main__":
    main()
