// An answer's tokens are charged to the daily budget when it ends (completed, stopped
// or failed), so whatever shows the budget re-reads it then.
import { createSignal } from "./signal";

export const ENDING_EVENTS = new Set(["MessageCompleted", "MessageCancelled", "MessageFailed"]);

const answerEnded = createSignal();
export const announceAnswerEnded = answerEnded.announce;
export const useOnAnswerEnded = answerEnded.useOn;
