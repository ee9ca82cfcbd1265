// A tab-wide "this just happened" that components re-read their data on: an answer
// ended (the token budget changed), the websocket reconnected (events may be missed).
import { useEffect, useRef } from "react";

export type Signal = {
  announce: () => void;
  // A hook: calls `callback` (its latest version) on every announcement while mounted.
  useOn: (callback: () => void) => void;
};

export function createSignal(): Signal {
  const listeners = new Set<() => void>();
  return {
    announce: () => listeners.forEach((listener) => listener()),
    useOn(callback) {
      const latest = useRef(callback);
      latest.current = callback;
      useEffect(() => {
        const listener = () => latest.current();
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      }, []);
    },
  };
}
