"""The README's screenshot of the track page: `wavehouse serve` on the published warehouse (127.0.0.1,
a free port), Debian's Chromium through Playwright, a full-page PNG of /track/<id>.

    python bench/screenshot.py                               # docs/img/track.png, Ghost - Acoustic
    python bench/screenshot.py --track 7qiZfU4dY1lWllzX7mPBI3 --out /tmp/track.png
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
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "track.png")
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
            else:
                page.goto(f"{base}/track/{args.track}")
                page.fill("#to", "bohemian rhapsody")
                page.fill("#steps", "6")
                page.click("#pathform button")
                page.wait_for_selector("tr.step")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
