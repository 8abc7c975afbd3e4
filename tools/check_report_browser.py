"""Open a release report in headless Chromium, save a screenshot, and fail on any error.

Why a real browser: the report promises to be a self-contained page that any reader can open offline.
Parsing the HTML (tests/reporting) checks the numbers and that nothing names a network address; only a
browser shows that every embedded image decodes and that the page loads without a console error or a
request leaving the file. The check talks to Chromium (the system package, ``apt-get install chromium``;
no browser is downloaded) over the Chrome DevTools Protocol with the ``websockets`` package.

    python tools/check_report_browser.py [REPORT_HTML] [--screenshot docs/report-screenshot.png]
        [--chromium /usr/bin/chromium] [--width 1100] [--height 2200 | --height 0]

Without REPORT_HTML it renders the latest committed release (build/releases, via the ledger) into a
temporary folder first. Exit 0 when the page loaded cleanly; 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-sync", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-port=0"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "chrome:", "devtools:")
#: Images that did not decode, with their ids; run in the page after the load event.
IMAGE_CHECK = """(() => {
  const imgs = Array.from(document.images);
  return {count: imgs.length,
          broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.id || i.alt || '(no id)'),
          height: Math.ceil(document.documentElement.scrollHeight)};
})()"""


class Session:
    """A minimal CDP client over one websocket, multiplexing a page session (flatten mode)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.loaded = asyncio.Event()

    async def pump(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
            elif "method" in msg:
                self.events.append(msg)
                if msg["method"] == "Page.loadEventFired":
                    self.loaded.set()

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        i = next(self.ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[i] = fut
        msg: dict[str, Any] = {"id": i, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(fut, 60)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})


def problems_from_events(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions, log errors, failed loads and any request off the machine."""
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            out.append("uncaught exception: " + str(p.get("exceptionDetails", {}).get("text")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log error: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not url.startswith(LOCAL_SCHEMES):
                out.append(f"network request: {url}")
        elif m == "Network.loadingFailed":
            out.append(f"failed to load: {p.get('errorText')} ({p.get('type')})")
    return out


async def check(html: Path, screenshot: Path | None, chromium: str, width: int, height: int | None) -> list[str]:
    import websockets

    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            url = None
            assert proc.stderr is not None
            for line in proc.stderr:
                m = re.search(r"DevTools listening on (ws://\S+)", line)
                if m:
                    url = m.group(1)
                    break
            if url is None:
                raise BrowserUnavailable(f"chromium exited without a DevTools endpoint (exit {proc.wait(10)})")
            # Keep reading Chromium's chatter so that a full pipe never blocks it.
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            async with websockets.connect(url, max_size=None) as ws:
                s = Session(ws)
                pump = asyncio.create_task(s.pump())
                target = await s.send("Target.createTarget", {"url": "about:blank"})
                sid = (await s.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))["sessionId"]
                for domain in ("Page", "Runtime", "Log", "Network"):
                    await s.send(f"{domain}.enable", session=sid)
                await s.send("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, sid)
                await s.send("Page.navigate", {"url": html.resolve().as_uri()}, sid)
                await asyncio.wait_for(s.loaded.wait(), 60)
                result = await s.send("Runtime.evaluate", {"expression": IMAGE_CHECK, "returnByValue": True}, sid)
                info = result["result"]["value"]
                image_problems = [f"image did not load: {name}" for name in info["broken"]]
                if info["count"] == 0:
                    image_problems.append("the page has no images")
                if screenshot is not None:
                    shot = await s.send("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": width, "height": min(info["height"], height or info["height"]),
                                 "scale": 1}}, sid)
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    screenshot.write_bytes(base64.b64decode(shot["data"]))
                await asyncio.sleep(0.2)  # let late console messages arrive
                problems = problems_from_events(s.events) + image_problems
                pump.cancel()
                return sorted(set(problems))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def latest_report(tmp: Path) -> Path:
    """Render the latest committed release's report (and its predecessor's version rule) into ``tmp``."""
    sys.path.insert(0, str(REPO / "src"))
    from openconflict.ledger import read_ledger
    from openconflict.reporting import render_report

    releases = REPO / "build" / "releases"
    ledger = read_ledger(releases / "registry.json")
    entry = ledger.latest
    prev = ledger.previous_of(entry.version)
    return render_report(releases / entry.version, tmp, releases / prev.version if prev else None)


#: A browser that fails to start or to answer (a loaded machine) is tried again with a fresh profile.
ATTEMPTS = 3


class BrowserUnavailable(RuntimeError):
    """Chromium did not start or answer: the page was not checked (exit 2, not a verdict on the page)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="?", type=Path, help="an index.html (default: render the latest release)")
    parser.add_argument("--screenshot", type=Path, default=REPO / "docs" / "report-screenshot.png")
    parser.add_argument("--no-screenshot", action="store_true")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1100, help="viewport width in CSS pixels")
    parser.add_argument("--height", type=int, default=2200,
                        help="screenshot the top HEIGHT pixels of the page (0: the whole page)")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium} (install it with: apt-get install -y chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="report-check-") as tmp:
        html = args.report or latest_report(Path(tmp))
        problems = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                problems = asyncio.run(check(html, None if args.no_screenshot else args.screenshot, args.chromium,
                                             args.width, args.height or None))
                break
            except Exception as exc:  # noqa: BLE001 - a browser that does not start or answer is no verdict
                reason = f"{type(exc).__name__}: {exc}"
                print(f"attempt {attempt} of {ATTEMPTS}: the browser did not complete the check ({reason})",
                      file=sys.stderr)
        if problems is None:
            print(f"error: the browser check could not run on {html}; nothing was judged", file=sys.stderr)
            return 2
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {html}", file=sys.stderr)
        return 1
    print(f"ok: {html} loaded with every image and no console error"
          + ("" if args.no_screenshot else f"; screenshot {args.screenshot}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
