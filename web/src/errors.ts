// Errors in words a learner understands, from the API's extensions.code.
import type { CombinedError } from "urql";

type Extensions = { code?: string; retryAfterSeconds?: number; field?: string; budget?: number };

// The server's message as a sentence of ours: ending with a full stop.
function sentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

export function retryWords(seconds: number | undefined): string {
  if (seconds === undefined) return "Try again in a little while.";
  if (seconds < 60) return `Try again in ${Math.ceil(seconds)} seconds.`;
  if (seconds < 5400) return `Try again in ${Math.ceil(seconds / 60)} minutes.`;
  return `Try again in ${Math.round(seconds / 3600)} hours.`;
}

export function describeCode(code: string | undefined, message: string, ext: Extensions = {}): string {
  switch (code) {
    case "RATE_LIMITED":
      // A spent daily budget renews at the learner's midnight: say so, and how far off.
      if (ext.budget !== undefined) {
        return `Today's token budget of ${ext.budget} tokens is spent; it renews at midnight. ${retryWords(ext.retryAfterSeconds)}`;
      }
      // The server's message names the limit; the wait, when it says one, in our words.
      return ext.retryAfterSeconds === undefined
        ? `You have reached a limit for now: ${message}`
        : `You have reached a limit for now. ${retryWords(ext.retryAfterSeconds)}`;
    case "UNAUTHENTICATED":
      return "Your sign-in has expired. Please sign in again.";
    case "NOT_FOUND":
      return "That is gone: it was deleted, or it belongs to another account.";
    case "CONFLICT":
      return `That clashes with something already there: ${message}`;
    case "BAD_USER_INPUT":
      return `Please check what you entered: ${message}`;
    case "UNSUPPORTED_MEDIA_TYPE":
      return `That file type is not supported: ${sentence(message)} Use text, Markdown, HTML, PDF or DOCX.`;
    case "PAYLOAD_TOO_LARGE":
      return "That file is too large to upload.";
    default:
      return message || "Something went wrong. Please try again.";
  }
}

export function describeError(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  const first = error.graphQLErrors[0];
  if (!first) return "The server could not be reached. Check your connection and try again.";
  return describeCode(first.extensions?.code as string | undefined, first.message, first.extensions as Extensions);
}

// Why an answer stopped, from MessageFailed.code / Message.errorCode.
export function describeAnswerFailure(code: string | null | undefined): string {
  switch (code) {
    case "TIMEOUT":
      return "The tutor took too long to answer.";
    case "RATE_LIMITED":
      return "Today's token budget is spent, or too many answers are running.";
    case "MAX_TURNS":
      return "The tutor needed too many steps for this question.";
    case "ANSWER_TOO_LONG":
      return "The answer grew too long and was cut.";
    case "INTERRUPTED":
      return "The server writing this answer stopped.";
    default:
      return "The tutor could not finish this answer.";
  }
}
