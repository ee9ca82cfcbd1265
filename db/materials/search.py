"""Search over the learner's own material chunks, by words and meaning, on both databases.

The word ranking is here; the meaning ranking and the fusion of the two in hybrid.py.

PostgreSQL matches the stored `search_vector` (to_tsvector('english', text), GIN-indexed;
migration 0006)
against `websearch_to_tsquery` and ranks with idf-weighted `ts_rank` per term; SQLite uses an
FTS5 table with the porter stemmer and ranks with `bm25`. Both get the same query:
the question's words, stop words dropped, OR-ed together. AND semantics (the default
of both engines) returns nothing for most natural questions ("What does the break
statement do in a loop?" has words no passage holds); OR with ranking puts the
passages that share the most, and the rarest, words first.

Every term is passed quoted (FTS5) or as a plain word (websearch_to_tsquery never
raises), so user input can never be read as FTS syntax: an empty or garbage query
is simply [].
"""

import math
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from db.errors import BadUserInput
from db.materials import hybrid
from db.materials.embeddings import EmbeddingModel
from db.materials.library import MaterialStatus
from db.study.topics import get_topic

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_TERM_CHARS = 64
MAX_LIMIT = 50
DEFAULT_SEARCH_RESULTS = 5
# How many passages each ranking offers the fusion.
CANDIDATES = 50

# The search index objects of migration 0002, which SQLModel's metadata does not know.
SEARCH_INDEX_PREFIXES = ("material_chunks_fts", "ix_material_chunks_search", "search_vector")

# English stop words (PostgreSQL's snowball list) plus question words: dropped on both
# databases, so SQLite (whose FTS5 keeps every word) ranks like PostgreSQL (which
# drops these itself).
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn
    doing don down during each few for from further had hadn has hasn have haven having he
    her here hers herself him himself his how i if in into is isn it its itself just let
    me more most mustn my myself no nor not now of off on once only or other ought our ours
    ourselves out over own same shan she should shouldn so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was wasn we were weren what when where which while who whom why will with won
    would wouldn you your yours yourself yourselves s t ll re ve d m o y
    explain describe tell show give mean means meant example examples please
    """.split()
)

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PassageHit:
    chunk_id: int
    material_id: int
    material_filename: str
    topic_id: int
    page: int | None
    start_offset: int
    end_offset: int
    quote: str  # the chunk text, what a citation quotes
    score: float  # higher is better, comparable within one result list
    # Cosine similarity of the passage to the question (None: not ranked by meaning);
    # comparable across searches, unlike `score`.
    similarity: float | None = None

    def citation(self) -> dict[str, Any]:
        """JSON stored on messages.citations / cards.source."""
        return {
            "material_id": self.material_id,
            "chunk_id": self.chunk_id,
            "page": self.page,
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
            "quote": self.quote,
        }


def search_terms(query: str) -> list[str]:
    """The words of a question worth searching for: lower-cased, no stop words, deduplicated."""
    terms: list[str] = []
    for word in _WORD.findall((query or "")[:MAX_QUERY_CHARS].lower()):
        word = word.strip("_")
        if len(word) < 2 and not word.isdigit():
            continue
        if word in STOP_WORDS or len(word) > MAX_TERM_CHARS or word in terms:
            continue
        terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


def is_search_index_object(name: str | None) -> bool:
    """True for the search objects of migrations 0002 and 0006 (FTS5 table, its shadow
    tables and triggers; the stored tsvector column and its GIN index)."""
    return bool(name) and name.startswith(SEARCH_INDEX_PREFIXES)


async def search_materials_for_owner(
    session: AsyncSession,
    *,
    owner_id: int,
    query: str,
    topic_id: int | None = None,
    first: int | None = DEFAULT_SEARCH_RESULTS,
    embedder: EmbeddingModel | None = None,
) -> list[PassageHit]:
    """searchMaterials: `first` 1 to MAX_LIMIT (else BAD_USER_INPUT), the topic the owner's."""
    limit = DEFAULT_SEARCH_RESULTS if first is None else first
    if not 1 <= limit <= MAX_LIMIT:
        raise BadUserInput(f"first must be between 1 and {MAX_LIMIT}", field="first")
    if topic_id is not None:
        await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    return await search_passages(
        session, owner_id=owner_id, query=query, topic_id=topic_id, limit=limit, embedder=embedder
    )


async def search_passages(
    session: AsyncSession,
    *,
    owner_id: int,
    query: str,
    topic_id: int | None = None,
    limit: int = 5,
    embedder: EmbeddingModel | None = None,
) -> list[PassageHit]:
    """The owner's READY chunks ranked for a free-text question, by words and meaning.

    Both rankings (hybrid.py) run over the owner's chunks; `embedder` is the model the
    chunks were embedded with (None: the packaged local model).
    """
    terms = search_terms(query)
    limit = max(0, min(limit, MAX_LIMIT))
    if not terms or limit == 0:
        return []
    lexical = await lexical_hits(
        session, owner_id=owner_id, terms=terms, topic_id=topic_id, limit=CANDIDATES
    )
    return await hybrid.fuse_with_meaning(
        session,
        owner_id=owner_id,
        query=query[:MAX_QUERY_CHARS],
        topic_id=topic_id,
        limit=limit,
        terms=terms,
        lexical=lexical,
        embedder=embedder,
        fetch=partial(hits_by_id, session, owner_id=owner_id),
    )


async def lexical_hits(
    session: AsyncSession,
    *,
    owner_id: int,
    terms: list[str],
    topic_id: int | None = None,
    limit: int = CANDIDATES,
) -> list[PassageHit]:
    """The owner's READY chunks that share words with the terms, best first
    (PostgreSQL full text / SQLite FTS5)."""
    params: dict[str, Any] = {"owner_id": owner_id, "limit": limit}
    topic_filter = ""
    if topic_id is not None:
        topic_filter = "AND c.topic_id = :topic_id"
        params["topic_id"] = topic_id
    if session.bind.dialect.name == "postgresql":
        weights = await _postgres_term_weights(session, owner_id, terms)
        statement = _postgres_statement(topic_filter, len(terms))
        params["query"] = " or ".join(terms)
        for index, (term, weight) in enumerate(zip(terms, weights, strict=True)):
            params[f"t{index}"] = term
            params[f"w{index}"] = weight
    else:
        statement = _sqlite_statement(topic_filter)
        params["query"] = " OR ".join(f'"{term}"' for term in terms)
    rows = (
        await session.exec(text(statement).bindparams(ready=MaterialStatus.READY, **params))
    ).all()
    return [_hit(row, float(row.score)) for row in rows]


async def hits_by_id(
    session: AsyncSession, chunk_ids: list[int], *, owner_id: int
) -> dict[int, PassageHit]:
    """The owner's READY chunks among the ids (score 0), keyed by id."""
    if not chunk_ids:
        return {}
    statement = text(f"""
        SELECT {_COLUMNS}, 0.0 AS score
        FROM material_chunks AS c
        JOIN study_materials AS m ON m.id = c.material_id
        WHERE c.id IN :ids AND c.owner_id = :owner_id AND m.owner_id = :owner_id
          AND m.status = :ready
    """).bindparams(bindparam("ids", expanding=True))
    rows = await session.exec(
        statement, params={"ids": chunk_ids, "owner_id": owner_id, "ready": MaterialStatus.READY}
    )
    return {row.id: _hit(row, 0.0) for row in rows}


def _hit(row, score: float) -> PassageHit:
    return PassageHit(
        chunk_id=row.id,
        material_id=row.material_id,
        material_filename=row.filename,
        topic_id=row.topic_id,
        page=row.page,
        start_offset=row.start_offset,
        end_offset=row.end_offset,
        quote=row.text,
        score=score,
    )


_COLUMNS = (
    "c.id, c.material_id, m.filename, c.topic_id, c.page, c.start_offset, c.end_offset, c.text"
)


# Stored and GIN-indexed (migration 0006): never recomputed per query or per term.
_VECTOR = "c.search_vector"


async def _postgres_term_weights(
    session: AsyncSession, owner_id: int, terms: list[str]
) -> list[float]:
    """BM25's idf of each term over the owner's chunks (ts_rank has no idf of its own).

    Without it "list" (in every chapter) weighs as much as "append" (in one passage),
    and PostgreSQL ranked visibly worse than SQLite's bm25. One statement; each count
    is a GIN index scan.
    """
    counts = ", ".join(
        f"(SELECT count(*) FROM material_chunks AS c WHERE c.owner_id = :owner_id "
        f"AND {_VECTOR} @@ plainto_tsquery('english'::regconfig, :t{index}))"
        for index in range(len(terms))
    )
    statement = text(
        f"SELECT (SELECT count(*) FROM material_chunks WHERE owner_id = :owner_id), {counts}"
    ).bindparams(owner_id=owner_id, **{f"t{i}": term for i, term in enumerate(terms)})
    total, *frequencies = (await session.exec(statement)).one()
    return [
        math.log(1 + (total - frequency + 0.5) / (frequency + 0.5)) for frequency in frequencies
    ]


def _postgres_statement(topic_filter: str, term_count: int) -> str:
    # Score: sum over terms of idf x ts_rank (term frequency, normalised 1: divided by
    # 1 + log(length), so a long chunk that mentions a word once does not win) -- BM25's
    # shape, which SQLite's bm25() has built in.
    score = " + ".join(
        f"CAST(:w{index} AS float8) * "
        f"ts_rank({_VECTOR}, plainto_tsquery('english'::regconfig, :t{index}), 1)"
        for index in range(term_count)
    )
    return f"""
        WITH q AS (SELECT websearch_to_tsquery('english'::regconfig, :query) AS query)
        SELECT {_COLUMNS}, ({score}) AS score
        FROM material_chunks AS c
        JOIN study_materials AS m ON m.id = c.material_id
        CROSS JOIN q
        WHERE {_VECTOR} @@ q.query
          AND c.owner_id = :owner_id AND m.owner_id = :owner_id AND m.status = :ready
          {topic_filter}
        ORDER BY score DESC, c.id
        LIMIT :limit
    """


def _sqlite_statement(topic_filter: str) -> str:
    # bm25() is lower-is-better; negate it so both databases report higher-is-better.
    return f"""
        SELECT {_COLUMNS}, -bm25(material_chunks_fts) AS score
        FROM material_chunks_fts
        JOIN material_chunks AS c ON c.id = material_chunks_fts.rowid
        JOIN study_materials AS m ON m.id = c.material_id
        WHERE material_chunks_fts MATCH :query
          AND c.owner_id = :owner_id AND m.owner_id = :owner_id AND m.status = :ready
          {topic_filter}
        ORDER BY score DESC, c.id
        LIMIT :limit
    """
