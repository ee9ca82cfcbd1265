// An answer's tokens are charged to the daily budget when it ends (completed, stopped
// or failed), so whatever shows the budget re-reads it then.
import { useEffect, useRef } from "react";

const listeners = new Set<() => void>();

export const ENDING_EVENTS = new Set(["MessageCompleted", "MessageCancelled", "MessageFailed"]);

export function announceAnswerEnded(): void {
  listeners.forEach((listener) => listener());
}

export function useOnAnswerEnded(callback: () => void): void {
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => {
    const listener = () => latest.current();
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
}
