"""Screenshots of the search page for the README, from the real app over the demo data, in Debian's
Chromium at a phone's 375x812 and a laptop's 1280x900.

    .venv/bin/python scripts/screenshots.py [--data-dir var/demo] [--near "Austin, TX"]

Builds the demo data first when the data directory has no index (`skinmap demo --no-serve`), serves
it with uvicorn on a free loopback port, and writes docs/screenshot-search-375.png and
docs/screenshot-search-1280.png. Prints where the first result's name, distance and "offers" line
end on each screen, so the first-screen promise can be checked by eye as well as by the tests.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCREENS = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 900}}


def ensure_demo_data(data_dir: Path) -> None:
    if (data_dir / "index" / "CURRENT").exists():
        return
    skinmap = REPO / ".venv" / "bin" / "skinmap"
    subprocess.run([str(skinmap), "--data-dir", str(data_dir), "demo", "--no-serve"], check=True)


def serve(data_dir: Path):
    import uvicorn

    from search_web.app import WebSettings, create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(WebSettings(data_dir=data_dir)), log_level="warning", ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "demo", help="demo state")
    parser.add_argument("--near", default="Austin, TX", help="the place searched for")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (make system-deps)")
    ensure_demo_data(args.data_dir)
    server, thread, base = serve(args.data_dir)
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            for name, viewport in SCREENS.items():
                context = browser.new_context(viewport=viewport, base_url=base)
                page = context.new_page()
                page.goto("/search?" + urlencode({"near": args.near}))
                page.locator("#results-map .leaflet-marker-icon").first.wait_for(state="attached")
                first = page.locator("ol.results > li").first
                ends = {
                    part: round(box["y"] + box["height"])
                    for part in (".result-name", ".distance", ".evidence-label")
                    if (box := first.locator(part).bounding_box())
                }
                target = args.out / f"screenshot-search-{name}.png"
                page.screenshot(path=str(target))
                print(f"{target.relative_to(REPO)}: first result ends at {ends} of {viewport}")
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
