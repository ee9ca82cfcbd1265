"""What the model, the learner and the log see when one of the tutor's tools raises.

The SDK's default hands the model a generic "An error occurred" as if it were the
tool's output, and the call looked DONE to the learner. Here the call is remembered
as failed (the turn stores it FAILED and the answer says a step failed), the model is
told plainly that the step failed, and the log gets the error (never the learner or
the model: an exception's text can carry internals).
"""

import json
import logging

from agents import RunContextWrapper

from tutor.context import TutorContext

logger = logging.getLogger(__name__)


def report_tool_failure(ctx: RunContextWrapper[TutorContext], error: Exception) -> str:
    """The failure function of every tutor tool (the SDK passes the call's ToolContext)."""
    name = getattr(ctx, "tool_name", None) or "tool"
    call_id = getattr(ctx, "tool_call_id", None)
    if call_id:
        ctx.context.failed_tool_calls.add(call_id)
    logger.error("turn %s: tool %s failed", ctx.context.message_id, name, exc_info=error)
    return json.dumps(
        {
            "error": f"the {name} step failed and gave no result",
            "instruction": "Tell the learner that this step failed; do not invent its result.",
        }
    )
