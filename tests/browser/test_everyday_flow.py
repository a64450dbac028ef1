"""Issue 20's "done when", as the NIES staff member does it in headless Chromium, on a desktop and on a phone: finds
Tsinghua from the one box, merges a duplicate entry into it and reads the history of both, corrects a mistaken
agreement step."""

import pytest

from tools.overflow import sign_in

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_nies_staff_member_finds_merges_and_corrects(demo, browser, width):
    app, base, logins = demo
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, base, *logins["staff.nies"])

    # One box, every register.
    page.fill(".global-search input[name=q]", "tsinghua")
    page.press(".global-search input[name=q]", "Enter")
    page.wait_for_url(f"{base}/search?q=tsinghua")
    assert "Tsinghua University" in page.inner_text("#organisations")
    assert "Tsinghua University" in page.inner_text("#partnerships") and fits(page)

    # A duplicate entered by mistake, merged into the entry that stays.
    page.goto(base + "/organisations/new")
    page.fill("input[name=name]", "Tsinghua Univ.")
    page.fill("textarea[name=other_names]", "清华大学")
    page.select_option("select[name=type_id]", index=1)
    page.click("form.form button[type=submit]")
    if page.locator("input[name=create_anyway]").count():
        page.check("input[name=create_anyway]")
        page.click("form.form button[type=submit]")
    assert page.inner_text("h1") == "Tsinghua Univ."
    page.click("text=Merge into another entry…")
    page.select_option("select#into", label="Tsinghua University")
    page.click("text=Show what moves")
    page.click("button:has-text('Merge into Tsinghua University')")
    assert page.inner_text("h1") == "Tsinghua University" and "merged into Tsinghua University" in page.content()
    history = page.inner_text("section.history")
    assert (
        "Tsinghua Univ. added to the directory" in history and "Tsinghua University added to the directory" in history
    )
    assert "Other names" in history and fits(page)

    # A "Signed" step of May 2027 asks for a confirmation, then is withdrawn: the status comes back.
    agreement = base + "/agreements/1"
    page.goto(agreement)
    status = page.inner_text("h1 .badge")
    page.click("summary:has-text('Add a step')")
    page.select_option("#steps select[name=status]", "signed")
    page.fill("#steps input[name=occurred]", "2027-05")
    page.click("#steps button:has-text('Add step')")
    assert "after today" in page.inner_text("#steps") and "Nothing was saved" in page.inner_text("main")
    page.check("#steps input[name=confirm_future]")
    page.click("#steps button:has-text('Add step')")
    assert page.inner_text("h1 .badge") == "Signed"
    page.locator("#steps li.step").last.locator("text=Remove…").click()
    page.click("button:has-text('Delete')")
    page.wait_for_url(agreement + "#steps")
    assert page.inner_text("h1 .badge") == status and fits(page)
    assert "Removed the status step Signed (May 2027)" in page.inner_text("section.history")
    context.close()
