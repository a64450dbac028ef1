from tests.access_specs import Rule


def _proposal(w):
    return {"proposal_id": w.records["proposal"].id}


def _mechanism(w):
    return {"mechanism_id": w.records["mechanism"].id}


RULES = {
    "proposals.index": Rule(staff=200, hidden=lambda w: w.records["proposal"].title),
    "proposals.board": Rule(staff=200, hidden=lambda w: w.records["proposal"].title),
    "proposals.new": Rule(staff=200, coordinator=403, admin=403),
    "proposals.show": Rule(args=_proposal),
    "proposals.edit": Rule(args=_proposal, coordinator=403, admin=403),
    "proposals.change_status": Rule(args=_proposal, method="POST", coordinator=403, admin=403),
    "proposals.add_document": Rule(args=_proposal, method="POST", coordinator=403, admin=403),
    "proposals.document": Rule(args=lambda w: {**_proposal(w), "document_id": w.records["proposal_document"].id}),
    # Funders' programmes are network-wide: everyone reads them; staff and admins keep them.
    "proposals.funders": Rule(staff=200),
    "proposals.mechanism_new": Rule(staff=200, coordinator=403),
    "proposals.mechanism_edit": Rule(args=_mechanism, staff=200, coordinator=403),
    "proposals.add_deadline": Rule(args=_mechanism, method="POST", staff=422, coordinator=403, admin=422),
    "proposals.deadline_edit": Rule(
        args=lambda w: {"deadline_id": w.records["call_deadline"].id}, staff=200, coordinator=403
    ),
}


def build(world):
    import io
    from datetime import date

    from werkzeug.datastructures import FileStorage

    from crm.core.uploads import store
    from crm.proposals.services import add_deadline, add_document, save_mechanism
    from tests.factories import Factory, save

    make = Factory()
    funder = make.organisation(name="Foreign Funder Kappa")
    proposal = make.proposal(
        world.foreign, funder, title="Secret proposal of the foreign centre", deadline_on=date.today()
    )
    upload = store(FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="application.pdf"))
    world.records["proposal"] = proposal
    world.records["proposal_document"] = save(add_document(proposal, "Application", upload))
    world.records["mechanism"] = save(save_mechanism(None, {"funder_id": funder.id, "name": "Kappa call"}))
    world.records["call_deadline"] = save(
        add_deadline(world.records["mechanism"], {"label": "Concept note", "due_on": date.today()})
    )
