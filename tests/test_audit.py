"""The audit log's coverage: what a model records is decided on the model, and no membership escapes it."""

from crm.core.models import Audited
from crm.extensions import db


def test_every_many_to_many_of_an_audited_model_is_kept_in_its_history(app):
    many_to_many = {
        f"{mapper.class_.__name__}.{relationship.key}": relationship.key in mapper.class_.audit_collections
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, Audited)
        for relationship in mapper.relationships
        if relationship.secondary is not None
    }
    assert {"Agreement.counterparts", "User.centres"} <= many_to_many.keys()
    assert [name for name, audited in many_to_many.items() if not audited] == []
