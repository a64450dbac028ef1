"""My work and the calendar feed as a person uses them, in headless Chromium, on a phone and a desktop."""

import pytest

pytestmark = pytest.mark.browser


def overflow(page) -> int:
    """How many pixels the page's content is wider than the screen (0 or less: it fits)."""
    return page.evaluate("document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth")


def sign_in(page, live_server):
    page.goto(live_server["url"] + "/login")
    page.fill("input[name=email]", live_server["email"])
    page.fill("input[name=password]", live_server["password"])
    page.click("button[type=submit]")
    page.wait_for_url(live_server["url"] + "/")


@pytest.mark.parametrize("width", [390, 1280])
def test_my_work_and_its_settings_fit_the_screen_and_a_feed_address_opens_the_calendar(live_server, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    sign_in(page, live_server)
    if width < 800:  # on a phone the menu is folded behind its button
        page.click("label.menu-button")
    page.click("nav.mainnav >> text=My work")
    page.wait_for_url(live_server["url"] + "/my-work")
    assert page.inner_text("h1") == "My work" and "Nothing overdue." in page.inner_text("#overdue")
    with page.expect_navigation():  # measured on the page it opens, not the one it leaves
        page.click("text=Calendar feed and e-mail")
    for _ in ("settings", "feed made"):
        overflow = page.evaluate(
            "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
        )
        assert overflow <= 0
        if _ == "settings":
            with page.expect_navigation():
                page.click("form[action='/my-work/feed'] button")
    address = page.input_value("#feed-url")
    assert "/feed/" in address and address.endswith(".ics")
    # The address as the user copies it (its path, on this test's server), from a browser never signed in.
    stranger = browser.new_context()
    feed = stranger.request.get(live_server["url"] + address[address.index("/feed/") :])
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text().startswith("BEGIN:VCALENDAR")
    stranger.close()
    page.close()
