// sessionEvents and materialEvents have no afterSeq: whatever happened while the
// websocket was reopening (after a token renewal, or a dropped network) is not replayed.
// Screens that follow them re-read their queries when the socket is back.
import { useEffect, useRef } from "react";

const listeners = new Set<() => void>();

export function announceReconnected(): void {
  listeners.forEach((listener) => listener());
}

export function useOnReconnect(callback: () => void): void {
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
