"""Working copies of the section in Chinese and Russian: drafted from the same records as the English one, in the
language's own words, plural forms and number formats; exported like it and labelled as not filed; never submitted.
The English section and its exports do not change."""

import io
import re

import pytest
from docx import Document
from flask_babel import force_locale

from crm.auth.models import Role
from crm.extensions import db
from crm.reports import drafting, prose, services
from crm.reports.docx import render_docx
from crm.reports.linked import LinkedText, Sentence, Token, annotated, sentence
from crm.reports.pdf import render_pdf
from crm.reports.section import LANGUAGE_NAMES
from tests.exported import docx_text, pdf_text

NBSP = "\u00a0"


@pytest.fixture
def records(make):
    """Five partners (Russian: "5 партнёров"), three proposals submitted ("3 проектных предложения"), one more in
    preparation ("1 предложение") and RMB 1,150,000 committed by the host."""
    centre = make.centre(code="TSCC-WC", short_name="TSCC WC", reporting_currency="CNY")
    period = make.period(centre)
    staff = make.user(Role.STAFF, [centre])
    research = make.organisation_type(name="Research institutes and universities", code="research-wc")
    for n in range(5):
        make.partnership(centre, make.organisation(name=f"Institute {n}", type=research), stage="contacted")
    funder = make.organisation(name="Global Biodiversity Framework Fund", acronym="GBFF")
    for n in range(3):
        make.proposal(centre, funder, title=f"Proposal {n}", status="submitted", submitted_on=period.starts_on)
    make.proposal(centre, funder, title="Next", status="in_preparation")
    host = make.organisation(name="Nanjing Institute of Environmental Sciences", acronym="NIES")
    make.ledger_entry(centre, source_id=host.id, amount="1150000", booked_on=period.starts_on)
    section = services.start_section(centre, period)
    db.session.commit()
    return centre, period, staff, section


def copy_of(section, language: str):
    copy, drafted = services.start_working_copy(section, language)
    db.session.commit()
    assert drafted
    return copy


def test_sentence_splits_a_translated_string_on_its_placeholders_into_text_and_tokens():
    centre, count = Token("centre", "TSCC NIES"), Token("count", "17 partners")
    made = sentence("k", "%(centre)s has initiated engagement with %(count)s.", centre=centre, count=count)
    assert made == Sentence("k", [centre, " has initiated engagement with ", count, "."])
    # The translation puts the tokens where its language wants them; plain values join the words; %% is a percent.
    made = sentence("k", "К работе %(centre)s привлечены %(count)s (%(share)s%%).", centre=centre, count=count, share=5)
    assert made.parts == ["К работе ", centre, " привлечены ", count, " (5%)."]
    assert made.text == "К работе TSCC NIES привлечены 17 partners (5%)."


def test_the_grammar_helpers_are_english_in_english_and_the_languages_own_elsewhere(app):
    with app.test_request_context(), force_locale("en"):
        assert prose.counted(5, "project proposal", opening=True) == "Five project proposals"
        assert prose.joined(["A", "B", "C"]) == "A, B and C"
        assert prose.named("China Association for Science and Technology").startswith("the ")
    with app.test_request_context(), force_locale("ru"):
        assert [prose.counted(n, "partner") for n in (1, 3, 5, 21)] == [
            "1 партнёр",
            "3 партнёра",
            "5 партнёров",
            "21 партнёр",
        ]
        assert prose.counted(1250, "expert") == f"1{NBSP}250 экспертов"
        assert prose.joined(["A", "B", "C"]) == "A, B и C"
        assert (
            prose.named("China Association for Science and Technology")
            == "China Association for Science and Technology"
        )
        assert prose.with_the("first Steering Committee meeting") == "first Steering Committee meeting"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert prose.counted(5, "partner") == "5个伙伴"
        assert prose.counted(1, "partner") == "1个伙伴"
        assert prose.joined(["A", "B", "C"]) == "A、B和C"


def test_a_russian_working_copy_drafts_russian_words_with_their_plural_forms_and_the_english_figures(
    records, login, client
):
    centre, period, staff, section = records
    login(staff)
    response = client.post(f"/reports/sections/{section.id}/working-copy/ru", data={"version": section.version})
    assert response.status_code == 302
    copy = services.working_copy(period.id, "ru")
    assert response.headers["Location"].endswith(f"/reports/sections/{copy.id}")
    assert copy.language == "ru" and copy.is_working_copy and copy.revision == 1
    # The English section is as it was, and still the period's latest revision.
    assert services.latest_section(period.id).id == section.id
    assert section.outputs[0].details.startswith("TSCC WC has initiated engagement with 5 partners.")

    rows = {row.key: row.details for row in copy.outputs}
    assert rows["partnerships"].startswith("К работе TSCC WC привлечены 5 партнёров.")
    assert rows["proposals"].startswith("Подано 3 проектных предложения:")
    assert "Готовится ещё 1 предложение для GBFF." in rows["proposals"]
    assert f"1{NBSP}150{NBSP}000{NBSP}RMB" in rows["resources"]
    assert copy.worked_well.startswith("1. В области развития партнёрств TSCC WC привлёк 5 партнёров")
    assert "мобилизации ресурсов" in copy.key_figures

    # The same records give the same figures: counts as they are, the money in Russian number format.
    english, russian = (drafting.draft(centre, period, language=language) for language in ("en", "ru"))
    # Every word the drafter writes around the records' own (names, headings) is Russian.
    texts = [*russian.texts.values(), *(row.text for row in russian.rows.values())]
    drafted_words = " ".join(
        part for text in texts for s in text.sentences() for part in s.parts if isinstance(part, str)
    )
    assert re.search("[а-я]", drafted_words) and not re.search("[A-Za-z]", drafted_words)
    assert russian.synthesis == english.synthesis
    for key, row in english.rows.items():
        for mine, theirs in zip(row.figures, russian.rows[key].figures, strict=True):
            # The same lists of records (a category's label is read in the copy's language).
            assert (mine.endpoint, mine.args) == (theirs.endpoint, theirs.args)
            if mine.value.isdigit():
                assert theirs.value == mine.value
    money = next(f for f in english.rows["resources"].figures if f.args.get("category") == "host_institution")
    assert money.value.startswith("RMB 1,150,000")
    theirs = next(f for f in russian.rows["resources"].figures if f.args.get("category") == "host_institution")
    assert theirs.value.startswith(f"1{NBSP}150{NBSP}000{NBSP}RMB")

    page = client.get(f"/reports/sections/{copy.id}").get_data(as_text=True)
    assert "Working copy in Русский — not filed" in page and "Рабочая копия (Русский) — не подаётся" in page
    # Asked again, the working copy already drafted opens.
    again = client.post(f"/reports/sections/{section.id}/working-copy/ru", data={"version": section.version})
    assert again.headers["Location"].endswith(f"/reports/sections/{copy.id}")
    assert len(services.working_copies(period.id)) == 1


def test_a_working_copy_redrafts_in_its_language(records, make):
    centre, period, staff, section = records
    copy = copy_of(section, "ru")
    make.partnership(centre, make.organisation(name="Institute 5", type=None), stage="active")
    offered = services.redraft_changes(copy)
    changes = [change for field in offered.fields for change in field.changes]
    assert any(change.after == "6 партнёров" for change in changes)
    assert any(change.after == "Ведётся совместная работа с Institute 5." for change in changes)


def test_a_working_copy_is_never_submitted_nor_filled_in(records, login, client):
    centre, period, staff, section = records
    copy = copy_of(section, "zh_Hans_CN")
    with pytest.raises(services.SectionError, match="working copy"):
        services.submit(copy, staff)
    login(staff)
    response = client.post(f"/reports/sections/{copy.id}/submit", data={"version": copy.version, "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(copy)
    assert not copy.is_submitted and copy.snapshot is None
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "it is not filed" in followed
    refused = client.post(f"/reports/sections/{copy.id}/fill", data={})
    assert refused.status_code == 302 and not copy.is_submitted
    page = client.get(f"/reports/sections/{copy.id}").get_data(as_text=True)
    assert "Mark as submitted" not in page and "Fill your Word report" not in page
    # The English section is still the one submitted.
    services.submit(section, staff)
    db.session.commit()
    assert section.is_submitted


def test_a_chinese_working_copy_exports_to_pdf_and_word_in_chinese(records, login, client, tmp_path):
    centre, period, staff, section = records
    copy = copy_of(section, "zh_Hans_CN")
    data = services.section_data(copy)
    assert data.language == "zh_Hans_CN"
    # The preview numbers each Chinese sentence with its records, though no space follows its "。".
    row = copy.outputs[0]
    marked = annotated(LinkedText.of(row.details, row.links))
    assert [p.text for p in marked.paragraphs[0]][:2] == [
        "TSCC WC已与5个伙伴建立联系。",
        # A seeded type's heading in the copy's language; the records' own names as written.
        "其中包括研究机构和大学：Institute 0、Institute 1、Institute 2、Institute 3和Institute 4。",
    ]
    assert all(passage.refs for passage in marked.paragraphs[0])

    text = pdf_text(render_pdf(data), tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "3.伙伴关系发展和资源调动" in flat
    assert "工作副本（中文）——不提交" in flat and "Workingcopyin中文—notfiled" in flat
    assert "TSCCWC已与5个伙伴建立联系。" in flat
    assert "第1页，共" in flat

    content = render_docx(data)
    words = docx_text(content)
    assert "工作副本（中文）——不提交 · Working copy in 中文 — not filed" in words
    assert "TSCC WC已与5个伙伴建立联系。" in words
    table = Document(io.BytesIO(content)).tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["产出", "状态", "详情"]
    assert table.rows[1].cells[0].text == "已发展的伙伴关系"

    login(staff)
    exported = client.get(f"/reports/sections/{copy.id}/export.docx")
    assert exported.status_code == 200 and "working-copy-zh_Hans_CN" in exported.headers["Content-Disposition"]
    html = client.get(f"/reports/sections/{copy.id}/export.html").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html and "工作副本（中文）——不提交" in html and "<th>产出</th>" in html
    # The English export keeps its English words.
    english = docx_text(render_docx(services.section_data(section)))
    assert "Outputs" in english and "工作副本" not in english and "伙伴关系" not in english
    assert LANGUAGE_NAMES["zh_Hans_CN"] == "中文"
