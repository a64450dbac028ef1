from tests.access_specs import Rule


def _agreement(w):
    return {"agreement_id": w.records["agreement"].id}


RULES = {
    "agreements.index": Rule(staff=200, hidden=lambda w: w.records["agreement"].title),
    "agreements.work": Rule(staff=200, hidden=lambda w: w.records["agreement"].title),
    "agreements.new": Rule(staff=200, coordinator=403, admin=403),
    "agreements.show": Rule(args=_agreement),
    "agreements.edit": Rule(args=_agreement, coordinator=403, admin=403),
    "agreements.delete": Rule(args=_agreement, coordinator=403, admin=403),
    "agreements.add_step": Rule(args=_agreement, method="POST", coordinator=403, admin=403),
    "agreements.add_document": Rule(args=_agreement, method="POST", coordinator=403, admin=403),
    "agreements.add_amendment": Rule(args=_agreement, method="POST", coordinator=403, admin=403),
    "agreements.download": Rule(args=lambda w: {"document_id": w.records["document"].id}),
    "agreements.edit_step": Rule(
        args=lambda w: {"step_id": w.records["agreement"].steps[0].id}, coordinator=403, admin=403
    ),
    "agreements.delete_step": Rule(
        args=lambda w: {"step_id": w.records["agreement"].steps[0].id}, coordinator=403, admin=403
    ),
}


def build(world):
    import io

    from werkzeug.datastructures import FileStorage

    from crm.agreements.services import add_document, add_step
    from crm.core.partial_dates import PartialDate
    from crm.core.uploads import store
    from tests.factories import Factory, save

    agreement = Factory().agreement(world.foreign, title="Foreign Secret Agreement Kappa")
    world.records["agreement"] = agreement
    # A second step, so that the first may be withdrawn (an agreement keeps at least one).
    add_step(agreement, "under_negotiation", PartialDate(agreement.steps[0].occurred.start), "", None)
    upload = store(FileStorage(io.BytesIO(b"%PDF-1.4 foreign"), filename="foreign.pdf"))
    world.records["document"] = save(add_document(agreement, upload, "Draft", "", None))
