"""Resolver fields whose value was set on the object beforehand, so plans can project it.

A compiled plan (plans.py) projects only attributes: one resolver field on a type sends
every object of that type through graphql-core, field by field. A Topic has resolvers
(`progress`, `materials`), so a dashboard's 20 topics cost ~120 resolver calls through
Strawberry's wrapper although warming (warming.py) has loaded every value they return.

A field declared with `preloadable_field(...)` may have its value set on the object
under `preloaded[<GraphQL field name>]` by whoever already holds it; a plan then reads
that value instead of calling the resolver, and an object without it is completed by
graphql-core as before (the plan raises CannotProject). The value set must be exactly
what the resolver returns when called without arguments (plans never compile a field
given arguments): `preload()` is only called with what the resolver would convert.
"""

from collections.abc import Callable
from typing import Any

import strawberry

# The metadata key marking a field whose value may be preloaded.
PRELOADABLE = "studygraph.preloadable"


def preloadable_field(**options: Any) -> Any:
    """strawberry.field(...) for a resolver whose value may be preloaded (see above)."""
    return strawberry.field(metadata={PRELOADABLE: True}, **options)


def is_preloadable(definition: Any) -> bool:
    """Whether a Strawberry field is declared preloadable and has nothing a plan would
    skip (extensions, permission classes)."""
    metadata = getattr(definition, "metadata", None) or {}
    return bool(metadata.get(PRELOADABLE)) and not definition.extensions


def preload(obj: Any, field_name: str, value: Any) -> None:
    """Set what `field_name` (its GraphQL name) resolves to on `obj`."""
    obj.preloaded[field_name] = value


def preloaded_getter(field_name: str, missing: Callable[[], Any]) -> Callable[[Any], Any]:
    """A plan's getter of a preloadable field: the preloaded value, or `missing()` (which
    raises the plan's CannotProject) when the object holds none."""

    def get(obj: Any) -> Any:
        preloaded = getattr(obj, "preloaded", None)
        if not preloaded or field_name not in preloaded:
            return missing()
        return preloaded[field_name]

    return get
