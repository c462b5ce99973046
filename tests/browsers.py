"""Headless Chromium for the browser tests: where it is, how it is started, and axe-core's serious findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
# No background traffic: this machine reaches nothing but loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical accessibility violations on a Playwright page, one line each."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # as the test's own script: the page's policy refuses inline ones
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]
