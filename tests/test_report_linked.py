"""Words drafted from the records stay linked inside the staff's own text: a redraft updates a changed figure in
place, offers a new sentence after the one it follows, points out what the records no longer give, and never
replaces a sentence staff wrote."""

import re
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.auth.models import User
from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.funding import services as funding
from crm.funding.models import LedgerEntry
from crm.reports import services
from crm.reports.linked import Drafted, LinkedText, Sentence, Token, annotated, apply, rebase, redraft_changes
from crm.reports.section import Figure
from tests.factories import section_form

REF = Figure("Partners", "", "partners.partnerships", {"centre": "X"})


def drafted(count: int, names: str, funders: bool = False) -> Drafted:
    paragraphs = [
        [
            Sentence("count", ["TSCC X has engaged ", Token("n", str(count), [REF]), " partners."]),
            Sentence("names", ["They include ", Token("names", names, [REF]), "."]),
        ]
    ]
    if funders:
        paragraphs[0].insert(1, Sentence("funders", ["Funders: ", Token("f", "GBFF", [REF]), "."]))
    return Drafted(paragraphs)


def test_links_follow_the_words_staff_keep_and_leave_those_they_rewrite():
    text = drafted(17, "A, B and C").render()
    assert text.text == "TSCC X has engaged 17 partners. They include A, B and C."
    edited = "Proud to say: TSCC X has engaged 17 partners since May. They include A, B and C and more."
    kept = rebase(text, edited)
    assert [(s.key, edited[s.start : s.end]) for s in kept.spans] == [("count/n", "17"), ("names/names", "A, B and C")]
    rewritten = rebase(kept, edited.replace("17", "seventeen"))
    assert [s.key for s in rewritten.spans] == ["names/names"], "a figure staff rewrote is theirs"


def test_a_redraft_updates_figures_inside_the_staff_sentences_and_adds_what_the_text_never_had():
    edited = rebase(drafted(17, "A, B and C").render(), "Proud: we engaged 17 partners. They include A, B and C!")
    new = drafted(18, "A, B, C and D", funders=True)
    changes = redraft_changes(edited, new)
    assert [(c.kind, c.key, c.before, c.after) for c in changes] == [
        ("update", "count/n", "17", "18"),
        ("update", "names/names", "A, B and C", "A, B, C and D"),
        ("add", "funders", "", "Funders: GBFF."),
    ]
    only_count = apply(edited, new, {"count/n"})
    assert only_count.text == "Proud: we engaged 18 partners. They include A, B and C!"
    everything = apply(edited, new, {"count/n", "names/names", "funders"})
    assert everything.text == "Proud: we engaged 18 partners. Funders: GBFF. They include A, B, C and D!"
    assert redraft_changes(everything, new) == []
    # A sentence staff deleted is not offered again.
    deleted = rebase(everything, "Proud: we engaged 18 partners. They include A, B, C and D!")
    assert redraft_changes(deleted, new) == []


def test_what_the_records_no_longer_give_is_pointed_out_never_removed():
    text = drafted(17, "A, B and C", funders=True).render()
    changes = redraft_changes(text, drafted(17, "A, B and C"))
    assert [(c.kind, c.before) for c in changes] == [("gone", "GBFF")]
    assert apply(text, drafted(17, "A, B and C"), {c.key for c in changes}).text == text.text


def test_each_drafted_sentence_names_the_records_it_rests_on():
    text = rebase(drafted(17, "A").render(), "We wrote this ourselves. TSCC X has engaged 17 partners. They include A.")
    notes = annotated(text)
    assert [(p.text, p.note) for p in notes.paragraphs[0]] == [
        ("We wrote this ourselves.", None),
        ("TSCC X has engaged 17 partners.", None),  # shares the next sentence's note: the same records
        ("They include A.", 1),
    ]
    assert notes.notes == [[REF]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.text(alphabet="abc xyz.,;\n", max_size=12)), max_size=6))
def test_staff_words_written_between_the_drafted_ones_never_cost_them_their_links(insertions):
    original = drafted(17, "A, B and C").render()
    # Places outside the tokens: the start, before "They", the text's end, and after "engaged ".
    anchors = [0, original.text.index("They"), len(original.text), original.text.index("17")]
    text = original.text
    for where, words in sorted(insertions, key=lambda item: -anchors[item[0]]):
        at = anchors[where]
        text = text[:at] + f" {words} " + text[at:]
    kept = rebase(original, text)
    assert {(s.key, text[s.start : s.end]) for s in kept.spans} == {("count/n", "17"), ("names/names", "A, B and C")}


def test_done_when_a_changed_amount_is_updated_inside_an_edited_paragraph(seeded, login, client):
    nies = centre_by_code("TSCC-NIES")
    section = services.start_section(nies, nies.periods[0])
    db.session.commit()
    resources = next(row for row in section.outputs if row.key == "resources")
    own = "As in the previous biennium, NIES remains our first supporter."
    edited = resources.details.replace("The Nanjing Institute", f"{own} The Nanjing Institute", 1)
    edited = edited.replace("In addition, 7 interns", "We thank Tsinghua University. In addition, 7 interns")
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.nies@demo.tscc.example"))
    login(staff)
    index = section.outputs.index(resources)
    data = section_form(section, **{f"outputs-{index}-details": edited})
    assert client.post(f"/reports/sections/{section.id}/edit", data=data).status_code == 302
    # NIES reduces its RMB 400,000 for the Steering Committee meeting by RMB 100,000 (a withdrawal, dated in the
    # period): the amount the row states changes.
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.amount == Decimal("400000")))
    withdrawal = {"withdrawn_on": date(2026, 4, 30), "amount": "100000", "reason": "budget cut"}
    funding.withdraw_entry(entry, withdrawal, today=date(2026, 5, 1))
    db.session.commit()
    redraft = services.redraft_changes(section)
    offered = {key: label for key, label in redraft.choices() if key.startswith(f"details:{resources.id}|update")}
    assert offered, "the changed amount is offered for acceptance"
    page = client.get(f"/reports/sections/{section.id}/redraft").get_data(as_text=True)
    assert "<del>RMB 500,000 for the daily operation of TSCC NIES and RMB 400,000 for the first" in page
    response = client.post(
        f"/reports/sections/{section.id}/redraft", data={"version": section.version, "accept": list(offered)}
    )
    assert response.status_code == 302
    db.session.refresh(section)
    details = next(row for row in section.outputs if row.key == "resources").details
    assert own in details and "We thank Tsinghua University." in details
    assert "RMB 300,000 for the first Steering Committee meeting" in details and "RMB 400,000" not in details
    assert re.search(r"has mobilized RMB 1,050,000", details)


def test_a_text_kept_without_links_is_offered_only_as_a_whole_replacement(make):
    centre = make.centre(short_name="TSCC OLD")
    period = make.period(centre)
    section = services.start_section(centre, period)
    section.links = {}
    section.outcome = "An outcome written before links were kept."
    db.session.commit()
    redraft = services.redraft_changes(section)
    outcome = next(f for f in redraft.fields if f.field == "outcome")
    assert outcome.unlinked and not outcome.changes
    assert services.apply_redraft(section, set()) == []
    assert section.outcome == "An outcome written before links were kept."
    services.apply_redraft(section, {"outcome|replace|"})
    assert section.outcome.startswith("TSCC OLD initiates partnership development")
    assert LinkedText.of(section.outcome, section.links["outcome"]).spans
