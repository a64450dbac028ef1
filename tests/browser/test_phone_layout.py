"""Every page of the seeded demo at a phone's width, in headless Chromium: no page wider than the screen, no item
of the navigation cut, no page that fails (tools/overflow.py walks them; ``python -m tools.overflow`` reports)."""

import pytest

from tools.overflow import sign_in, walk

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("who", ["staff.nies", "coordinator", "admin"])
def test_no_page_of_the_demo_is_wider_than_a_phone(demo, browser, who):
    app, base, logins = demo
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, base, *logins[who])
    findings, reached = walk(page, app, base, who, per_endpoint=1)
    context.close()
    assert len(findings) > 30, "the walk reached too few pages to prove anything"
    assert [str(f) for f in findings if f.overflows] == []
    # The pages that matter most were among them.
    assert {"dashboards.centre", "experts.index", "funding.index", "search.results", "partners.partnership"} <= reached
