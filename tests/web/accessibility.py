"""axe-core (through axe-playwright-python) on a page as the browser shows it: WCAG 2.1 A and AA
rules (labels, names, contrast, headings, landmarks, ARIA), no violation allowed."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe

_AXE = Axe()
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


async def assert_accessible(page) -> None:
    results = await _AXE.run(page, options=WCAG_AA)
    violations = results.response["violations"]
    described = [f"{v['id']} ({v['impact']}): {v['help']} at "
                 f"{[node['target'] for node in v['nodes']][:5]}" for v in violations]
    assert not violations, f"{page.url}: " + "; ".join(described)
