"""Exchange rates are network-wide: everyone reads them (a figure cites them), admins keep them; the coverage of
every centre's amounts is for those who read every centre."""

from tests.access_specs import Rule


def admin_only(**values) -> Rule:
    return Rule(staff=403, coordinator=403, **values)


RULES = {
    "money.rates": Rule(staff=200),
    "money.rate": Rule(staff=200, args=lambda w: {"rate_id": w.records["manual_rate"].id}),
    "money.rate_delete": admin_only(args=lambda w: {"rate_id": w.records["manual_rate"].id}, method="POST", admin=303),
    "money.rate_new": admin_only(),
    "money.import_upload": admin_only(),
    "money.un_example": admin_only(),
    "money.import_preview": admin_only(args=lambda w: {"import_id": w.records["rate_import"].id}),
    "money.import_confirm": admin_only(
        args=lambda w: {"import_id": w.records["rate_import"].id}, method="POST", admin=303
    ),
    "money.import_discard": admin_only(
        args=lambda w: {"import_id": w.records["rate_import"].id}, method="POST", admin=303
    ),
    "money.coverage": Rule(staff=403),
}


def build(world):
    from datetime import date

    from crm.money.models import RateImport
    from tests.factories import Factory, save

    world.records["manual_rate"] = Factory().rate(
        "USD", "KZT", "505", date(2025, 6, 1), source="manual", reason="bank statement"
    )
    world.records["rate_import"] = save(
        RateImport(source="un", reference="ore-2025-07.xml", rows=[["2025-07-01", "USD", "KZT", "510"]])
    )
