"""Imports are their uploader's alone (another's is a 404, whoever asks); exports are scoped like their lists."""

from tests.access_specs import Rule


def _pending(world):
    return {"import_id": world.records["pending_import"].id}


RULES = {
    "interchange.upload": Rule(staff=200, coordinator=403, admin=200),
    "interchange.preview": Rule(args=_pending, staff=404, coordinator=404, admin=404),
    "interchange.confirm": Rule(args=_pending, method="POST", staff=404, coordinator=404, admin=404),
    "interchange.discard": Rule(args=_pending, method="POST", staff=404, coordinator=404, admin=404),
    "interchange.marked_up": Rule(args=_pending, staff=404, coordinator=404, admin=404),
    "interchange.template": Rule(args=lambda w: {"name": "experts"}, staff=200),
    # A dashboard's table is the dashboard's: another centre's does not exist for staff; the network's is refused.
    "interchange.centre_table": Rule(args=lambda w: {"table": "partnerships", "fmt": "csv", "centre": w.foreign.code}),
    "interchange.network_table": Rule(args=lambda w: {"table": "centres", "fmt": "xlsx"}, staff=403),
    "interchange.export": Rule(
        args=lambda w: {"name": "experts", "fmt": "csv"}, staff=200, hidden=lambda w: w.records["expert"].name
    ),
}


def build(world):
    from crm.interchange.models import PendingImport
    from tests.factories import save

    world.records["pending_import"] = save(
        PendingImport(
            centre_id=world.foreign.id,
            created_by_id=world.records["foreign_staff"].id,
            filename="zeta-experts.csv",
            content=b"Name,Engagement basis,Availability\nZeta,volunteer,available\n",
            size=60,
        )
    )
