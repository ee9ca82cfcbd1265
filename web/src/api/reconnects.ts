// sessionEvents and materialEvents have no afterSeq: whatever happened while the
// websocket was reopening (after a token renewal, or a dropped network) is not replayed.
// Screens that follow them re-read their queries when the socket is back.
import { createSignal } from "./signal";

const reconnected = createSignal();
export const announceReconnected = reconnected.announce;
export const useOnReconnect = reconnected.useOn;
