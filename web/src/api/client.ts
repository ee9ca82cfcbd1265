// The urql client: queries and mutations over HTTP (uploads as GraphQL multipart
// requests), subscriptions over graphql-transport-ws on the same origin.
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import { freshAccessToken, onTokens, renew, storedTokens } from "./auth";
import { announceReconnected } from "./reconnects";

// A close code of our own: graphql-ws reconnects after it (it is not a fatal code) and
// re-subscribes every live subscription with a fresh connection_init.
const RECONNECT_FOR_NEW_TOKEN = 4205;

function websocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/graphql`;
}

// Every HTTP request carries a fresh token; an UNAUTHENTICATED answer to a token that
// expired on the way is retried once after a renewal.
async function authorisedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const send = (token: string | null) => {
    const headers = new Headers(init?.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    // Required on multipart uploads (a cross-site form cannot send it); harmless elsewhere.
    headers.set("graphql-preflight", "1");
    return fetch(input, { ...init, headers });
  };
  const response = await send(await freshAccessToken());
  if (response.status !== 200 || !response.headers.get("content-type")?.includes("json")) {
    return response;
  }
  const body = await response.clone().json().catch(() => null);
  const expired = body?.errors?.some(
    (e: { extensions?: { code?: string } }) => e.extensions?.code === "UNAUTHENTICATED",
  );
  if (!expired || !storedTokens()) return response;
  const renewed = await renew().catch(() => null);
  return renewed ? send(renewed.accessToken) : response;
}

function websocketClient(): { ws: WsClient; dispose: () => void } {
  let socket: WebSocket | null = null;
  let socketToken: string | null = null;
  let connectedBefore = false;
  const client = createWsClient({
    url: websocketUrl(),
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => storedTokens() !== null,
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(250 * 2 ** retries, 8000))),
    connectionParams: async () => {
      socketToken = await freshAccessToken();
      return socketToken ? { authorization: `Bearer ${socketToken}` } : {};
    },
    on: {
      connected: (opened) => {
        socket = opened as WebSocket;
        if (connectedBefore) announceReconnected();
        connectedBefore = true;
      },
      closed: () => {
        socket = null;
      },
    },
  });
  // The server acts for a socket's token only while it is valid: once the stored token
  // is a newer one (renewed here or in another tab), reopen the socket with it.
  const reopenIfStale = () => {
    const tokens = storedTokens();
    if (socket && tokens && tokens.accessToken !== socketToken) {
      socket.close(RECONNECT_FOR_NEW_TOKEN, "renewed access token");
    }
  };
  const unlisten = onTokens(reopenIfStale);
  const timer = window.setInterval(reopenIfStale, 5_000);
  const dispose = () => {
    unlisten();
    window.clearInterval(timer);
    void client.dispose();
  };
  return { ws: client, dispose };
}

// One client per signed-in learner: its cache never shows one learner's data to the next.
export function createClient(): { client: Client; dispose: () => void } {
  const { ws, dispose } = websocketClient();
  const client = new Client({
    url: "/graphql",
    fetch: authorisedFetch,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const dispose = ws.subscribe(input, sink);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose };
}
