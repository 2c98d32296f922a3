"""Headless Chromium (Debian's package, driven by Playwright; no browser is ever downloaded) with the
renderers the platforms publish: Microsoft's `adaptivecards` package and axe-core, installed from the npm
registry into tests/renderers (package-lock.json committed; CI runs `npm ci` there)."""

import json
import shutil
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDERERS = ROOT / "tests" / "renderers"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# The golden tests redraw the screenshots in docs/ only when asked (WRITE_SCREENSHOTS=1 uv run pytest
# tests/digests), so a test run never changes files of the repository.
WRITE_SCREENSHOTS = os.environ.get("WRITE_SCREENSHOTS") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = shutil.which("node")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCRIPTS = {
    "cards": RENDERERS / "node_modules/adaptivecards/dist/adaptivecards.min.js",
    "markdown": RENDERERS / "node_modules/markdown-it/dist/markdown-it.min.js",
    "axe": RENDERERS / "node_modules/axe-core/axe.min.js",
}
HOST_CONFIG = json.loads((RENDERERS / "teams-light-hostconfig.json").read_text())


def skip_reason() -> str | None:
    if CHROMIUM is None:
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    if NODE is None:
        return "node is not installed, so the npm renderers (adaptivecards, axe-core) cannot be installed"
    return None


def ensure_renderers() -> None:
    """`npm ci` once when node is here but the renderers are not (CI runs it before the suite)."""
    if all(path.exists() for path in SCRIPTS.values()):
        return
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=RENDERERS, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"npm ci in {RENDERERS} failed: {done.stderr[-2000:]}")


@contextmanager
def chromium() -> Iterator:
    """Debian's chromium under Playwright, with the npm renderers installed; skips (saying why) without them."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    ensure_renderers()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


# Text that does not fit its box: a clipped button label, a word or address running out of its column.
CLIPPED = """(root) => {
  const out = [], edge = root.getBoundingClientRect().right;
  for (const el of root.querySelectorAll('*')) {
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!text || getComputedStyle(el).display === 'inline') continue;
    const name = `${el.tagName}.${el.className}: "${el.textContent.trim().slice(0, 60)}"`;
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${name} ${el.scrollWidth}>${el.clientWidth}`);
    else if (el.getBoundingClientRect().right > edge + 1) out.push(`${name} runs past the edge`);
  }
  return out;
}"""

AXE = """async (selector) => {
  const result = await axe.run(selector ? document.querySelector(selector) : document, {resultTypes: ['violations']});
  return result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes.slice(0, 2).map(n => n.html.slice(0, 120)).join(' | ')}`);
}"""

RENDER_CARD = """([card, hostConfig]) => {
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdownit().render(text); result.didProcess = true;
  };
  const adaptive = new AdaptiveCards.AdaptiveCard();
  adaptive.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  adaptive.parse(card);
  const host = document.getElementById('host');
  host.replaceChildren(adaptive.render());
  return host.querySelectorAll('.ac-textBlock').length;
}"""

CARD_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Teams card</title>"
    "<style>body{margin:0;font-family:'Segoe UI',system-ui,sans-serif;background:#fff}#host{width:%dpx}"
    # Teams' button styling: a row of buttons shares the width and a long label is cut with an ellipsis.
    ".ac-pushButton{min-width:0;overflow:hidden;height:32px;padding:0 12px;font:600 14px 'Segoe UI',system-ui,sans-serif;"
    "color:#242424;background:#fff;border:1px solid #d1d1d1;border-radius:4px}</style>"
    "</head><body><main><h1 style='position:absolute;left:-9999px'>Card</h1><div id='host'></div></main></body></html>"
)
