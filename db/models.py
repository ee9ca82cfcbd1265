"""The tables. Every user-owned row carries `owner_id`, so ownership is one indexed filter.

Enumerations are stored as their names in plain strings (no PostgreSQL ENUM types) so
that adding a value later is not a migration on either database.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from db.learning.states import GoalStatus
from db.types import UTCDateTime, utcnow


def _fk(target: str, *, ondelete: str, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        nullable=nullable,
        index=index,
    )


def _timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = _timestamp()


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored only as its SHA-256. Rotation keeps a family."""

    __tablename__ = "refresh_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _fk("users.id", ondelete="CASCADE", index=True)
    family_id: str = Field(max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _timestamp(nullable=True)
    revoked_at: datetime | None = _timestamp(nullable=True)


class LoginFailure(SQLModel, table=True):
    """Failed sign-ins counted per key (an email, or an email from one client address).

    Keys are SHA-256 digests, so the table never holds an address in the clear; rows
    are not tied to a user, so guessing at an unknown email is counted the same way.
    """

    __tablename__ = "login_failures"

    key: str = Field(max_length=64, primary_key=True)
    failures: int = Field(default=0)
    window_started_at: datetime = _timestamp(index=True)


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_owner_id_id", "owner_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text, nullable=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class StudySession(SQLModel, table=True):
    __tablename__ = "study_sessions"
    __table_args__ = (
        Index("ix_study_sessions_owner_id_id", "owner_id", "id"),
        Index("ix_study_sessions_topic_id_id", "topic_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE")
    # A deleted topic leaves its sessions (and the minutes studied in them) in place.
    topic_id: int | None = _fk("topics.id", ondelete="SET NULL", nullable=True)
    title: str = Field(max_length=200)
    mode: str = Field(max_length=16)
    model: str = Field(max_length=200)
    started_at: datetime = _timestamp()
    ended_at: datetime | None = _timestamp(nullable=True)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_session_id_id", "session_id", "id"),
        UniqueConstraint("session_id", "client_message_id", name="uq_messages_client_id"),
        # At most one generation per session runs at a time, enforced by the database
        # so that two concurrent sendMessage calls cannot both start one.
        Index(
            "uq_messages_one_running_per_session",
            "session_id",
            unique=True,
            postgresql_where=text("status IN ('PENDING', 'STREAMING')"),
            sqlite_where=text("status IN ('PENDING', 'STREAMING')"),
        ),
        # The reaper's scan for generations whose process stopped renewing the lease.
        Index("ix_messages_status_lease", "status", "lease_expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE", index=True)
    session_id: int = _fk("study_sessions.id", ondelete="CASCADE")
    parent_id: int | None = _fk("messages.id", ondelete="SET NULL", nullable=True)
    role: str = Field(max_length=16)
    content: str = Field(default="", sa_type=Text)
    status: str = Field(max_length=16)
    mode: str = Field(max_length=16)
    model: str | None = Field(default=None, max_length=200)
    client_message_id: str | None = Field(default=None, max_length=100)
    last_seq: int = Field(default=0)
    input_tokens: int | None = Field(default=None)
    output_tokens: int | None = Field(default=None)
    error_code: str | None = Field(default=None, max_length=40)
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    tool_calls: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    # The flashcard this answer asked (next_quiz_card); the next answer grades the reply
    # against it. No foreign key: a deleted card reads as "not found", not as an older one.
    quiz_card_id: int | None = Field(default=None)
    created_at: datetime = _timestamp()
    completed_at: datetime | None = _timestamp(nullable=True)
    # A running generation's process renews this while it works; once it lapses, any
    # process may declare the generation dead (FAILED, code INTERRUPTED).
    lease_expires_at: datetime | None = _timestamp(nullable=True)


class StudyMaterial(SQLModel, table=True):
    __tablename__ = "study_materials"
    __table_args__ = (Index("ix_study_materials_topic_id_id", "topic_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE", index=True)
    topic_id: int = _fk("topics.id", ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_type=BigInteger)
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, sa_type=Text, nullable=True)
    page_count: int | None = Field(default=None)
    chunk_count: int = Field(default=0)
    created_at: datetime = _timestamp()


class MaterialChunk(SQLModel, table=True):
    """A passage of extracted text that keeps where it came from, for citations."""

    __tablename__ = "material_chunks"
    __table_args__ = (Index("ix_material_chunks_material_id_ordinal", "material_id", "ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE", index=True)
    material_id: int = _fk("study_materials.id", ondelete="CASCADE")
    topic_id: int = _fk("topics.id", ondelete="CASCADE", index=True)
    ordinal: int
    page: int | None = Field(default=None)
    start_offset: int
    end_offset: int
    text: str = Field(sa_type=Text)
    # The passage's meaning vectors (db/materials/vectors.py: the passage's own vector,
    # then one per sentence, float16) and the model that made them; NULL until embedded.
    embedding: bytes | None = Field(default=None, sa_type=LargeBinary)
    embedding_model: str | None = Field(default=None, max_length=200)


class Card(SQLModel, table=True):
    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_topic_id_due", "topic_id", "due"),
        Index("ix_cards_owner_id_due", "owner_id", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE")
    topic_id: int = _fk("topics.id", ondelete="CASCADE")
    front: str = Field(sa_type=Text)
    back: str = Field(sa_type=Text)
    source: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    state: str = Field(max_length=16)
    step: int | None = Field(default=None)
    due: datetime = _timestamp()
    stability: float | None = Field(default=None)
    difficulty: float | None = Field(default=None)
    reps: int = Field(default=0)
    lapses: int = Field(default=0)
    last_reviewed_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


class CardReview(SQLModel, table=True):
    __tablename__ = "card_reviews"
    __table_args__ = (Index("ix_card_reviews_owner_id_reviewed_at", "owner_id", "reviewed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE")
    card_id: int = _fk("cards.id", ondelete="CASCADE", index=True)
    topic_id: int = _fk("topics.id", ondelete="CASCADE", index=True)
    rating: str = Field(max_length=8)
    reviewed_at: datetime = _timestamp()
    duration_seconds: int | None = Field(default=None)
    state_before: str = Field(max_length=16)
    state_after: str = Field(max_length=16)


class StudyGoal(SQLModel, table=True):
    __tablename__ = "study_goals"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = _fk("users.id", ondelete="CASCADE", index=True)
    topic_id: int | None = _fk("topics.id", ondelete="SET NULL", nullable=True, index=True)
    title: str = Field(max_length=200)
    target_minutes_per_week: int | None = Field(default=None)
    target_mastery: float | None = Field(default=None)
    due_date: date | None = Field(default=None)
    status: str = Field(default=GoalStatus.ACTIVE, max_length=16)
    created_at: datetime = _timestamp()
