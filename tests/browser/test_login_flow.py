"""A person signs in, sees their centre's home page, signs out — in headless Chromium."""

import pytest

pytestmark = pytest.mark.browser


def test_sign_in_see_own_centre_sign_out(live_server, browser, tmp_path):
    page = browser.new_page()
    page.goto(live_server["url"] + "/")
    assert page.url.endswith("/login?next=%2F")
    page.fill("input[name=email]", live_server["email"])
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Wrong e-mail or password" in page.inner_text(".field-passwordfield .error")

    page.fill("input[name=password]", live_server["password"])
    page.click("button[type=submit]")
    page.wait_for_url(live_server["url"] + "/")
    assert page.inner_text("h1") == "Your centre"
    body = page.inner_text("main")
    assert "Nanjing Institute" in body and "Central Asia" not in body
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url(live_server["url"] + "/login")
    assert "You are signed out." in page.inner_text(".flashes")
    page.goto(live_server["url"] + "/centres")
    assert "/login" in page.url
    page.close()


def test_the_login_page_works_on_a_phone(live_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(live_server["url"] + "/login")
    box = page.locator("form.form").bounding_box()
    assert box["width"] <= 390
    page.close()
