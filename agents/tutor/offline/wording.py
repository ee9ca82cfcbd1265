"""The offline tutor's fixed phrases: its name, its question headers, how it names a source.

The question headers are also how the next turn recognises what was asked last
(the conversation is all the model sees), so they are part of its behaviour.
"""

from tutor.text import Passage

LOCAL_MODEL_ID = "local:tutor"
LOCAL_MODEL_DESCRIPTION = "Offline study tutor (extractive, no LLM)"
OFFLINE_NOTE = "studygraph's offline tutor (it quotes your material, it is not a language model)"

CARD_QUESTION = "Question (flashcard):"
CLOZE_QUESTION = "Question (fill in the blank, from your material):"
BLANK = "_____"


def source_label(passage: Passage) -> str:
    """A passage as the answer names it: its marker and where it comes from."""
    return f"[{passage.number}] ({passage.source})"
