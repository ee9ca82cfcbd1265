"""Each public GraphQL enum names exactly the values its domain enum stores.

db/ cannot import Strawberry, so the GraphQL layer declares its own enums (with their
descriptions); a value added on one side only would be stored but not servable, or
accepted but not storable.
"""

import pytest

from db.chat import states
from db.learning import scheduling
from db.learning.states import GoalStatus
from db.materials.events import MaterialChange
from db.materials.library import MaterialStatus
from db.study.modes import TutorMode
from schema.chat import types as chat_types
from schema.learning import types as learning_types
from schema.materials import types as material_types
from schema.sessions.modes import StudyMode

MIRRORS = [
    (chat_types.MessageRole, states.MessageRole),
    (chat_types.MessageStatus, states.MessageStatus),
    (chat_types.ToolCallStatus, states.ToolCallStatus),
    (learning_types.CardState, scheduling.CardState),
    (learning_types.ReviewRating, scheduling.ReviewRating),
    (learning_types.GoalStatus, GoalStatus),
    (material_types.MaterialStatus, MaterialStatus),
    (material_types.MaterialEventKind, MaterialChange),
    (StudyMode, TutorMode),
]


@pytest.mark.parametrize(("public", "stored"), MIRRORS, ids=lambda e: e.__name__)
def test_public_enum_names_the_stored_values(public, stored):
    assert {member.value for member in public} == {member.value for member in stored}
    assert [member.name for member in public] == [member.value for member in public]
