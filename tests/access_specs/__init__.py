"""The access matrix: for every route, what each role gets when it aims at a *foreign* centre's records.

Each domain adds a module here with ``build(world)`` (create that domain's records
in ``world.foreign``, the centre the staff user does not belong to) and ``RULES``
(endpoint → Rule). ``tests/test_access.py`` walks ``app.url_map`` and fails on
any endpoint without a rule.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

REDIRECT_TO_LOGIN = 302


@dataclass
class Rule:
    """Expected status per role. ``staff`` is a member of another centre than the records aimed at."""

    args: Callable = lambda world: {}
    method: str = "GET"
    anonymous: int = REDIRECT_TO_LOGIN
    staff: int | tuple = 404
    coordinator: int | tuple = 200
    admin: int | tuple = 200
    data: Callable = lambda world: {}
    # Text of the foreign centre that must not show to staff (list pages that filter rather than 404).
    hidden: Callable | None = None


@dataclass
class World:
    own: object
    foreign: object
    records: dict = field(default_factory=dict)


def modules():
    for info in pkgutil.iter_modules(__path__):
        yield importlib.import_module(f"{__name__}.{info.name}")


def all_rules() -> dict[str, Rule]:
    rules = {}
    for module in modules():
        rules.update(module.RULES)
    return rules


def build_world(world: World) -> None:
    for module in modules():
        builder = getattr(module, "build", None)
        if builder:
            builder(world)
