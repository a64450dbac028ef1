"""What the app words itself, shown in the reader's language even where it is stored: the search results' details,
the import's "is not …" refusals, the section's headings on its edit page, and the labels of the change history."""

import itertools
import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from crm.audit.display import headline, readable_all, shown_label
from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.extensions import db
from crm.interchange import lookups
from crm.interchange.cells import CellError
from crm.partners.models import Contact, Interaction, InteractionKind
from crm.reports import services
from crm.search import queries
from crm.search.models import SearchEntry


def test_a_search_result_s_detail_is_worded_in_the_reader_s_language_whoever_wrote_it(app, make, nies, login, client):
    research = make.organisation_type(name="Research institute or university", code="research-i18n")
    with force_locale("ru"):  # written by a Russian reader
        organisation = make.organisation(name="Tsinghua University", type=research, country="CN")
        make.partnership(nies, organisation, stage="contacted")
    stored = db.session.scalars(sa.select(SearchEntry.detail).where(SearchEntry.register == "organisations")).all()
    # Stored in no language: the type and the country are kept as codes.
    assert stored and all("Китай" not in detail and "China" not in detail for detail in stored)
    reader = make.user(Role.STAFF, [nies], language="zh_Hans_CN")
    login(reader)
    page = client.get("/search?q=tsinghua").get_data(as_text=True)
    assert "研究机构或大学 · 中国" in page
    assert "TSCC-NIES · 已联系" in page
    assert "Research institute or university" not in page and "Contacted" not in page
    with force_locale("en"):
        english = queries.search("tsinghua", reader)
    details = {group.register: group.hits[0].detail for group in english if group.hits}
    assert details["organisations"] == "Research institute or university · China"
    assert details["partnerships"] == "TSCC-NIES · Contacted"


def test_a_row_written_before_details_were_coded_shows_as_stored(app, make, staff):
    db.session.add(
        SearchEntry(
            register="pools",
            record_id=99,
            link_id=99,
            centre_id=staff.centres[0].id,
            title="Old",
            detail="x · y",
            terms="|old pool|",
        )
    )
    db.session.commit()
    with force_locale("ru"):
        (hit,) = next(group for group in queries.search("old pool", staff) if group.register == "pools").hits
    assert (hit.title, hit.detail) == ("Old", "x · y")


@pytest.mark.parametrize(
    ("language", "by_ref", "by_name"),
    [
        ("ru", "POOL-999999 — не пул TSCC-NIES.", "«Ghosts» — не пул TSCC-NIES: добавьте его на листе pools"),
        ("zh_Hans_CN", "POOL-999999 不是TSCC-NIES 的专家库。", "“Ghosts”不是TSCC-NIES 的专家库：请在 pools 工作表"),
    ],
)
def test_an_import_s_unknown_reference_is_refused_in_the_reader_s_language(app, nies, language, by_ref, by_name):
    with force_locale(language):
        index = lookups.pools(SimpleNamespace(centre=nies))
        with pytest.raises(CellError) as refused:
            index.candidates("POOL-999999")
        assert str(refused.value) == by_ref
        with pytest.raises(CellError) as refused:
            index.candidates("Ghosts")
        assert str(refused.value).startswith(by_name)
        assert "pool of" not in str(refused.value)


def test_a_working_copy_s_edit_page_heads_its_parts_in_the_copy_s_language(make, login, client):
    centre = make.centre(code="TSCC-ED", short_name="TSCC ED", reporting_currency="CNY")
    period = make.period(centre)
    section = services.start_section(centre, period)
    db.session.commit()
    copy, _ = services.start_working_copy(section, "ru")
    db.session.commit()
    login(make.user(Role.STAFF, [centre], language="zh_Hans_CN"))
    page = client.get(f"/reports/sections/{copy.id}/edit").get_data(as_text=True)
    assert "3. Развитие партнёрств и мобилизация ресурсов" in page
    assert "Часть III. Основное достижение: сеть партнёрств и мобилизация ресурсов" in page
    assert "<th>Результаты</th>" in page
    assert "Partnership development and resource mobilization" not in page
    assert "What has worked well" not in page and "<th>Outputs</th>" not in page
    # The English section's page keeps the filed template's English words.
    english = client.get(f"/reports/sections/{section.id}/edit").get_data(as_text=True)
    assert "3. Partnership development and resource mobilization" in english and "<th>Outputs</th>" in english


def test_the_history_s_labels_and_recorded_fields_read_in_the_reader_s_language(app, make, nies):
    partnership = make.partnership(nies, make.organisation(name="Tsinghua University"))
    with force_locale("zh_Hans_CN"):  # written by a Chinese reader
        db.session.add(
            Interaction(
                partnership_id=partnership.id,
                centre_id=nies.id,
                occurred_on=date(2025, 3, 1),
                kind=InteractionKind.MEETING,
                summary=".",
            )
        )
        db.session.commit()
    expert = make.expert(nies)
    entries = {
        entry.entity: entry
        for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity.in_(["interactions", "experts"])))
    }
    # Kept in English whoever wrote it, so that every reader reads it in their language.
    assert entries["interactions"].label == "Meeting on 2025-03-01"
    assert entries["experts"].label == f"expert #{expert.id}"
    with force_locale("ru"):
        assert shown_label("interactions", entries["interactions"].label) == "Встреча 2025-03-01"
        assert headline(entries["experts"]) == f"В реестр экспертов добавлен(а) эксперт №{expert.id}"
    with force_locale("zh_Hans_CN"):
        assert f"专家 #{expert.id}" in headline(entries["experts"])
        fields = [change.field_label for change in readable_all([entries["experts"]])[entries["experts"].id]]
        assert "其他名称" in fields
        assert "other names" not in fields
        # A label that is a record's own words shows as written; a seeded type's name in the reader's language.
        assert shown_label("organisations", "Tsinghua University") == "Tsinghua University"
        assert shown_label("organisation_types", "Research institute or university") == "研究机构或大学"
        assert shown_label("organisation_types", "Think tanks we added") == "Think tanks we added"


def test_a_working_copy_lists_partners_under_the_seeded_type_headings_in_its_language(make):
    from crm.reports import drafting

    centre = make.centre(code="TSCC-TH", short_name="TSCC TH", reporting_currency="CNY")
    period = make.period(centre)
    research = make.organisation_type(
        name="Research institute or university", plural_name="Research institutes and universities", code="r-th"
    )
    typed = make.organisation_type(name="Think tank", plural_name="Think tanks", code="tt-th")
    for n in range(4):
        make.partnership(centre, make.organisation(name=f"University {n}", type=research))
        make.partnership(centre, make.organisation(name=f"Ideas Lab {n}", type=typed))
    russian = drafting.draft(centre, period, language="ru")
    chinese = drafting.draft(centre, period, language="zh_Hans_CN")
    english = drafting.draft(centre, period, language="en")
    assert "Среди них — Научные институты и университеты: University 0" in russian.rows["partnerships"].details
    assert "Research institutes and universities" not in russian.rows["partnerships"].details
    assert "研究机构和大学" in chinese.rows["partnerships"].details
    # Inside a sentence of the narrative, a Russian heading reads in lower case, as an English one does.
    narrative = " ".join(text.text for text in russian.texts.values())
    assert "научные институты и университеты" in narrative and "Научные институты" not in narrative
    # The filed English report keeps the seeded words; a heading an admin typed reads as typed in every language.
    assert "These include Research institutes and universities: University 0" in english.rows["partnerships"].details
    assert "Think tanks" in chinese.rows["partnerships"].details
    annex_types = {row[2] for table in chinese.annex for row in table.rows if len(row) > 2}
    assert "研究机构和大学" in annex_types or "研究机构或大学" in annex_types


def test_why_a_conversion_failed_names_the_rate_source_in_the_reader_s_language():
    from crm.money.models import SOURCE_WORDS, RateSource

    with force_locale("zh_Hans_CN"):
        assert str(SOURCE_WORDS[RateSource.MANUAL]) == "手动汇率"
    with force_locale("ru"):
        assert str(SOURCE_WORDS[RateSource.UN]) == "операционный курс ООН"


def test_chinese_in_a_pdf_wraps_between_characters_but_keeps_english_words_whole(app):
    from reportlab.lib.styles import ParagraphStyle

    from crm.reports.fonts import register_pdf_font
    from crm.reports.pdf import Paragraph, markup

    font = register_pdf_font()
    style = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    text = (
        "已提交5份项目建议书：向UNDP China提交“7th National Report Project in China”。其中3份已获得CAST和CCICED的资助。"
    )
    assert Paragraph(markup(text), style).style.wordWrap == "CJK"
    # English and Russian wrap at their spaces, as before.
    assert not Paragraph(markup("Research institutes and universities"), style).style.wordWrap
    for width in range(110, 260, 7):
        paragraph = Paragraph(markup(text), style)
        paragraph.wrap(width, 1000)
        lines = [
            "".join(getattr(w, "text", "") for w in line.words) if hasattr(line, "words") else " ".join(line[1])
            for line in paragraph.blPara.lines
        ]
        assert len(lines) > 1
        for before, after in itertools.pairwise(lines):
            assert not (before.endswith("C") and after.startswith("hina")), (width, lines)
            assert not (before.endswith("Nati") or after.startswith("onal")), (width, lines)


def test_a_chart_leaves_room_for_chinese_category_labels(app):
    from decimal import Decimal

    from crm.dashboards.charts import bar_chart

    with app.test_request_context():
        svg = str(
            bar_chart(
                "按组织类型的伙伴关系",
                ["联合国或国际机构", "研究机构或大学"],
                [Decimal(4), Decimal(7)],
                value_axis="伙伴关系",
                category_axis="组织类型",
            )
        )
    # Each label whole (it was cut to "国或国际机构"), and the bars start right of it: 8 characters of 12 px.
    assert ">联合国或国际机构</text>" in svg and ">研究机构或大学</text>" in svg
    bar = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="18"', svg)
    assert float(bar.group(1)) >= 8 * 12
    with app.test_request_context():
        russian = str(
            bar_chart(
                "Предложения", ["В подготовке", "Подано"], [2, 2], value_axis="Предложения", category_axis="Статус"
            )
        )
    assert ">В подготовке</text>" in russian  # it was cut to "В подготов…"


def test_pages_word_their_own_hints_in_the_reader_s_language(make, login, client):
    centre = make.centre(code="TSCC-PG", short_name="TSCC PG", reporting_currency="CNY", parties=["KH", "CN"])
    period = make.period(centre)
    section = services.start_section(centre, period)
    db.session.commit()
    copy, _ = services.start_working_copy(section, "ru")
    db.session.commit()
    make.organisation(name="Tsinghua University")
    login(make.user(Role.STAFF, [centre], language="zh_Hans_CN"))
    # The organisations' names are 名称 (姓名 is a person's).
    assert "名称" in client.get("/organisations").get_data(as_text=True)
    # Parties listed as Chinese lists them.
    assert "柬埔寨、中国" in client.get("/").get_data(as_text=True)
    # The section page's word counts and suggestions are the interface's, in the reader's language.
    page = client.get(f"/reports/sections/{section.id}").get_data(as_text=True)
    assert "/ 150 words" not in page and "over the indicative limit" not in page and "The records suggest" not in page
    # A Russian working copy's statuses are offered in Russian on its edit page.
    edit = client.get(f"/reports/sections/{copy.id}/edit").get_data(as_text=True)
    assert ">В процессе</option>" in edit and ">Не начат</option>" in edit
    assert ">In progress</option>" not in edit and ">Not started</option>" not in edit


def test_the_history_names_the_system_in_the_reader_s_language(make, nies, login, client):
    organisation = make.organisation(name="Tsinghua University")  # written by no one signed in
    login(make.user(Role.STAFF, [nies], language="ru"))
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "· система</div>" in page and "· system</div>" not in page


def test_a_chart_s_short_figures_are_written_as_the_reader_s_language_writes_them(app):
    from decimal import Decimal

    from crm.dashboards.charts import compact

    with force_locale("ru"):
        assert compact(Decimal("167300")) == "167,3\xa0тыс." and compact(Decimal("1234567")) == "1,23\xa0млн"
        assert compact(Decimal("950")) == "950" and compact(Decimal("12.5")) == "12,5"
    with force_locale("zh_Hans_CN"):
        assert compact(Decimal("200000")) == "20万"
    with force_locale("en"):
        assert compact(Decimal("1234567")) == "1.23M"


def test_an_upload_that_cannot_be_read_is_refused_in_the_reader_s_language(app):
    from crm.interchange import reading

    with force_locale("ru"), pytest.raises(reading.ReadError) as refused:
        reading.check(b"%PDF-1.7 a CV")
    assert str(refused.value) == "Этот файл — документ PDF, а не таблица: загрузите книгу Excel (.xlsx) или файл CSV."
    with force_locale("zh_Hans_CN"), pytest.raises(reading.ReadError) as refused:
        reading.check(b"")
    assert str(refused.value) == "文件为空。"
    with force_locale("zh_Hans_CN"):
        workbook = reading.read(b"name;email\nWang;w@x.org\n")
        assert workbook.described == "CSV 文本，UTF-8，分隔符为分号"
    with force_locale("en"):
        assert reading.read(b"name;email\nWang;w@x.org\n").described == "CSV text, UTF-8, separated by semicolons"


def test_the_network_compilation_says_its_table_is_the_filed_english_one(make, login, client):
    make.period(make.centre(code="TSCC-CO", short_name="TSCC CO"))
    login(make.user(Role.COORDINATOR, language="ru"))
    page = client.get("/reports/compilation").get_data(as_text=True)
    assert '<table class="table synthesis" lang="en">' in page
    assert "Сводная таблица в том виде, в каком подаётся сводный отчёт: на английском языке." in page


def test_a_working_copy_s_annex_of_rates_says_how_each_rate_was_used_in_its_language(seeded):
    from crm.reports import drafting

    nies = seeded["TSCC-NIES"]
    english = drafting.draft(nies, nies.periods[0])
    russian = drafting.draft(nies, nies.periods[0], language="ru")
    chinese = drafting.draft(nies, nies.periods[0], language="zh_Hans_CN")
    assert english.rates_used[0].source == "ECB reference rate, used for CNY → USD (via EUR)"
    assert russian.rates_used[0].source == "справочный курс ЕЦБ, использован для CNY → USD (через EUR)"
    assert chinese.rates_used[0].source == "欧洲央行参考汇率，用于 CNY → USD（经由欧元）"


@pytest.mark.parametrize(
    "language, quarter",
    [("en", "2025 Q3"), ("ru", "3-й кв. 2025\u202fг."), ("zh_Hans_CN", "2025年第3季度")],
)
def test_a_dashboard_s_quarters_are_written_as_the_reader_s_language_writes_them(
    make, nies, login, client, language, quarter
):
    make.ledger_entry(nies, amount="1000", currency="CNY", booked_on=date(2025, 8, 10))
    login(make.user(Role.STAFF, [nies], language=language))
    page = client.get(f"/dashboards/centre?centre={nies.code}").get_data(as_text=True)
    table = page[page.index('id="resources"') :]
    assert f'<th scope="row">{quarter}</th>' in table
    assert f">{quarter}</text>" in table  # the chart's axis too
    if language != "en":
        assert "2025 Q3" not in page


def test_a_record_s_title_and_a_person_s_title_are_two_words_and_no_form_labels_two_fields_alike(
    make, nies, login, client
):
    make.proposal(nies, title="Wetlands of the Yangtze")
    partnership = make.partnership(nies, make.organisation(name="Tsinghua University"))
    db.session.add(Contact(partnership_id=partnership.id, centre_id=nies.id, name="Li Wei", title="Professor"))
    db.session.commit()
    login(make.user(Role.STAFF, [nies], language="ru"))
    proposals = client.get("/proposals").get_data(as_text=True)
    contacts = client.get("/contacts").get_data(as_text=True)
    assert ">Название<" in proposals and "Должность" not in proposals
    assert "Должность" in contacts
    login(make.user(Role.STAFF, [nies], language="zh_Hans_CN"))
    form = client.get("/resources/new").get_data(as_text=True)
    labels = [text.strip() for text in re.findall(r'<label for="[^"]+" id="[^"]+">([^<]+)', form)]
    assert "类别" in labels and "类型" in labels
    assert len(labels) == len(set(labels)), labels


def test_a_shortened_cyrillic_label_fits_left_of_its_bar_in_the_page_s_font(app):
    """The label is cut to its room as the page's sans-serif (DejaVu Sans, installed with the system packages)
    draws it, the ellipsis included: "Платформа международного сотрудничества" lost its first letter to the
    chart's left edge."""
    from PIL import ImageFont

    from crm.dashboards.charts import FONT_SIZE, bar_chart

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", FONT_SIZE)
    long_names = ["Платформа международного сотрудничества", "Национальные или местные органы власти"]
    with app.test_request_context():
        svg = str(bar_chart("Партнёрства", long_names, [1, 1], value_axis="Партнёрства", category_axis="Тип"))
    bar_left = float(re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="18"', svg).group(1))
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+…)</text>', svg)
    assert len(labels) == 2
    assert all(font.getlength(label) <= bar_left - 6 for label in labels), labels


@pytest.mark.parametrize(
    "language, kind, stage",
    [("ru", "Меморандум о соглашении (МоА)", "Выявлено"), ("zh_Hans_CN", "合作备忘协议（MoA）", "已确定")],
)
def test_a_form_s_choices_of_kinds_and_stages_are_labelled_in_the_reader_s_language(
    make, nies, login, client, language, kind, stage
):
    """Choices made once when the forms' module is imported kept the labels of the language the app started in."""
    login(make.user(Role.STAFF, [nies], language=language))
    agreement = client.get("/agreements/new").get_data(as_text=True)
    partnership = client.get("/partnerships/new").get_data(as_text=True)
    assert f'value="memorandum_of_agreement">{kind}</option>' in agreement
    assert (
        f'value="identified">{stage}</option>' in partnership
        or f'value="identified" selected>{stage}</option>' in partnership
    )
    assert "Memorandum of agreement (MoA)" not in agreement and ">Identified<" not in partnership
