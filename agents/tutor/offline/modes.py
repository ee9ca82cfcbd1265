"""The offline tutor's answer in each mode, written from this turn's tool outputs."""

from db.study.modes import TutorMode
from tutor.offline.explain import explain
from tutor.offline.quiz import quiz_answer
from tutor.offline.reading import TurnInput, json_object, topic_title
from tutor.offline.socratic import socratic
from tutor.offline.summary import summary
from tutor.offline.wording import NOT_COVERED, OFFLINE_NOTE
from tutor.text import parse_passages


def answer(turn: TurnInput) -> str:
    """The final answer of the turn, in its mode."""
    overview = json_object(turn.outputs.get("get_topic_overview"))
    topic = topic_title(turn)
    passages = parse_passages(turn.outputs.get("search_material", ""))
    if turn.mode == TutorMode.QUIZ:
        return quiz_answer(turn, topic, passages)
    if not passages:
        return _nothing_found(turn.question, topic)
    if turn.mode == TutorMode.SOCRATIC:
        return socratic(turn, topic, passages)
    if turn.mode == TutorMode.SUMMARIZE:
        return summary(turn.question, topic, passages, turn.meaning)
    return explain(turn, topic, overview.get("progress"), passages)


def _nothing_found(question: str, topic: str | None) -> str:
    where = f" on {topic}" if topic else ""
    return (
        f"{NOT_COVERED}: I am {OFFLINE_NOTE}, and I found nothing in your material{where} "
        f"about “{question}”. Upload notes or a chapter that covers it, or rephrase the "
        "question with the words your material uses."
    )
