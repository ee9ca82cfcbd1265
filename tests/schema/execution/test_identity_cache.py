"""IdentityCache: by object identity and extras, built once, bounded."""

from schema.execution.identity_cache import IdentityCache


class Document:
    """Equal to any other Document, as parsed copies of one query text are."""

    def __eq__(self, other):
        return isinstance(other, Document)

    __hash__ = None  # graphql-core's nodes hash by walking; here they cannot at all


def test_values_are_built_once_per_identity_and_extras():
    cache: IdentityCache[str] = IdentityCache(max_entries=10)
    builds = []

    def build(name):
        return lambda: builds.append(name) or name

    first, copy = Document(), Document()
    assert cache.get_or_build((first,), build("a")) == "a"
    assert cache.get_or_build((first,), build("again")) == "a"
    assert cache.get_or_build((copy,), build("b")) == "b"  # equal, yet another object
    assert cache.get_or_build((first,), build("c"), extra=("op", 2)) == "c"
    assert cache.get_or_build((first,), build("again"), extra=("op", 2)) == "c"
    assert builds == ["a", "b", "c"]


def test_a_full_cache_starts_over():
    cache: IdentityCache[int] = IdentityCache(max_entries=2)
    objects = [Document() for _ in range(3)]
    for number, document in enumerate(objects):
        cache.get_or_build((document,), lambda number=number: number)
    # The third entry emptied the cache: the first is built again.
    assert cache.get_or_build((objects[0],), lambda: 99) == 99
    assert cache.get_or_build((objects[2],), lambda: 98) == 2
