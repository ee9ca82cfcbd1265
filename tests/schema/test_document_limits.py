"""Limits on documents before, while and after parsing; suggestions; recursion."""

import pytest
from graphql import get_introspection_query, parse

from schema.build import build_schema
from schema.document_limits import DocumentLimits, document_shape, limit_validation_work
from schema.errors import TOO_COMPLEX_MESSAGE
from tests.dashboard import DASHBOARD_QUERY

SCHEMA = build_schema(mask_unexpected_errors=True)


def chained_fragments(count: int) -> str:
    """`{ ...F0 }` where each fragment spreads the next: no field nesting at all."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(count - 1))
    return f"{{ ...F0 }} {chain} fragment F{count - 1} on Query {{ __typename }}"


def doubling_fragments(levels: int) -> str:
    """Each fragment spreads the next twice: about 2**levels fields, counted per spread."""
    parts = [
        f"fragment D{i} on Query {{ __typename ...D{i + 1} ... on Query {{ ...D{i + 1} }} }}"
        for i in range(levels)
    ]
    return "{ ...D0 } " + " ".join(parts) + f" fragment D{levels} on Query {{ __typename }}"


# Each names the limit its message must mention; all ran on the code before the limits.
HOSTILE = {
    "1 MB of __typename": ("{ " + "__typename " * 95_000 + "}", "characters"),
    "15,001 characters": ("{ __typename }" + " " * 14_987, "characters"),
    "20,000 fragments": (
        "{ ...F0 } " + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(20_000)),
        "characters",
    ),
    "1,031-token mutation": (
        "mutation { " + " ".join(f"a{i}: __typename" for i in range(343)) + " }",
        "tokens",
    ),
    "51 directives": ("{ " + "__typename @include(if: true) " * 51 + "}", "directives"),
    "51 fragments": (
        "{ "
        + " ".join(f"...F{i}" for i in range(51))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(51)),
        "fragment definitions",
    ),
    "40 chained fragments": (chained_fragments(40), "levels of nesting"),
    "deep nesting": ("{ " + "serverInfo { " * 40 + "version" + " }" * 40 + " }", "nesting"),
}


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_documents_are_refused_naming_the_limit(name):
    document, limit_word = HOSTILE[name]
    result = await SCHEMA.execute(document)
    assert result.data is None
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}, error
    assert limit_word in error.message, error.message
    assert "recursion" not in error.message


async def test_fragments_count_wherever_they_are_spread():
    # 600 characters, 150 tokens: only following the spreads shows its 1,023 fields.
    document = doubling_fragments(9)
    assert len(document) < 700
    assert document_shape(parse(document)).fields == 2**10 - 1
    result = await SCHEMA.execute(document)
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert "fields" in result.errors[0].message


async def test_250_chained_fragments_are_bad_input_in_production():
    result = await SCHEMA.execute(chained_fragments(250))
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert "recursion" not in error.message


async def test_a_recursion_error_past_the_limits_is_still_clean_bad_input():
    # With the limits out of the way, Strawberry's depth limiter recurses through the
    # spreads until Python stops it: the answer must still be a clean BAD_USER_INPUT.
    unlimited = DocumentLimits(
        max_characters=10**6, max_tokens=10**6, max_fragments=10**6, max_nesting=10**6
    )
    schema = build_schema(mask_unexpected_errors=True, limits=unlimited)
    result = await schema.execute(chained_fragments(2_000))
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert error.message == TOO_COMPLEX_MESSAGE


async def test_repeated_fields_exhaust_the_validation_budget_quickly():
    # 240 `me { id }`: within the token limit, but comparing each pair of them cost
    # graphql-core 300 ms; the budget stops it with a message that says why.
    result = await SCHEMA.execute("{ " + "me { id } " * 240 + "}")
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert error.message == TOO_COMPLEX_MESSAGE


async def test_the_validation_budget_is_the_configured_one():
    import graphql.validation.rules.overlapping_fields_can_be_merged as overlapping

    try:
        build_schema(limits=DocumentLimits(validation_complexity=1234))
        assert overlapping.MAX_COMPLEXITY_BUDGET == 1234
    finally:
        limit_validation_work(DocumentLimits().validation_complexity)


@pytest.mark.parametrize(
    "document",
    [
        DASHBOARD_QUERY,
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    ],
    ids=["dashboard", "introspection"],
)
async def test_real_documents_are_well_within_the_limits(document):
    shape = document_shape(parse(document))
    limits = DocumentLimits()
    assert shape.fields <= limits.max_fields // 2
    assert shape.nesting <= limits.max_nesting - 10
    result = await SCHEMA.execute(document)
    codes = {error.extensions["code"] for error in result.errors or ()}
    assert "BAD_USER_INPUT" not in codes, result.errors


@pytest.mark.parametrize("mask", [True, False], ids=["production", "development"])
async def test_suggestions_are_cut_in_production_only(mask):
    schema = build_schema(mask_unexpected_errors=mask)
    wrong_field = (await schema.execute("{ mee { id } }")).errors[0]
    wrong_argument = (await schema.execute("{ topics(frist: 3) { totalCount } }")).errors[0]
    for error in (wrong_field, wrong_argument):
        assert error.extensions == {"code": "BAD_USER_INPUT"}
        assert ("Did you mean" in error.message) is not mask, error.message
    assert "mee" in wrong_field.message  # the client still learns what was wrong
