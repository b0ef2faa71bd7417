"""Check, in a real browser with the network off, that every player on the built site moves.

    python scripts/check_players.py book/_build/html [--chromium /usr/bin/chromium] [--width 390]

For each chapter page with players (aelib.figures.player), it loads the page from disk, refuses
every http(s) request, and for each player: presses play, waits, and checks that the shown frame
and its label changed; presses pause and checks that they stop; moves the slider to its end and
checks the label; clicks each run button and checks that the picture changed. Prints one line per
player and exits 1 if any failed. Needs the `playwright` package (its Python API only: the
browser is the system's Chromium, nothing is downloaded).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def check_page(page, url: str) -> list[tuple[str, bool, str]]:
    blocked: list[str] = []
    page.route(re.compile(r"^https?://"), lambda route: (blocked.append(route.request.url), route.abort()))
    page.goto(url)
    results = []
    for i, root in enumerate(page.query_selector_all(".aelib-player")):
        name = f"{Path(url).name} player {i + 1}"
        try:
            img, label = root.query_selector("img"), root.query_selector(".aelib-player-label")
            play, rng = root.query_selector(".aelib-play"), root.query_selector("input[type=range]")
            root.scroll_into_view_if_needed()
            src0, label0 = img.get_attribute("src"), label.inner_text()
            play.click()
            for _ in range(50):  # up to 5 s: a loaded machine delays the browser's timers
                page.wait_for_timeout(100)
                if label.inner_text() != label0:
                    break
            page.wait_for_timeout(300)
            src1, label1 = img.get_attribute("src"), label.inner_text()
            play.click()  # pause
            page.wait_for_timeout(100)
            paused = label.inner_text()
            page.wait_for_timeout(500)
            stays = label.inner_text() == paused
            last = rng.get_attribute("max")
            rng.evaluate("(r, v) => { r.value = v; r.dispatchEvent(new Event('input')); }", last)
            end_label = label.inner_text()
            runs = root.query_selector_all("button[data-run]")
            switched = True
            for b in runs[1:]:
                before = img.get_attribute("src")
                b.click()
                switched &= img.get_attribute("src") != before
            moved = src1 != src0 and label1 != label0
            ok = moved and stays and end_label != label0 and switched and not blocked
            results.append((name, ok, f"play moved {moved} ({label0} -> {label1}); pause holds {stays}; "
                                      f"slider end '{end_label}'; {len(runs)} run buttons switch {switched}; "
                                      f"online requests {len(blocked)}"))
        except Exception as err:  # noqa: BLE001 - report any failure as this player's
            results.append((name, False, repr(err)))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--width", type=int, default=1280)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    pages = sorted(p for p in args.html.glob("[0-9][0-9]_*.html") if "aelib-player" in p.read_text())
    if not pages:
        print(f"no page with a player under {args.html}")
        return 1
    failed = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium)
        ctx = browser.new_context(viewport={"width": args.width, "height": 900}, offline=True)
        for p in pages:
            page = ctx.new_page()
            for name, ok, what in check_page(page, p.absolute().as_uri()):
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {name}: {what}")
            page.close()
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
