// The signed-in learner's tokens, shared by every tab through localStorage.
//
// Access tokens live 15 minutes; a refresh token works once (rotation), and reusing an
// old one signs the learner out everywhere. So only one tab refreshes at a time (a Web
// Lock, or a lease in localStorage where there are none), and while it holds that it
// re-reads the stored tokens: when another tab already rotated them, it uses theirs
// instead of spending a refresh token twice.
import { Client, fetchExchange } from "urql";
import { LoginMutation, LogoutMutation, RefreshMutation, RegisterMutation } from "./operations";
import { exclusively } from "./refreshLease";

const KEY = "studygraph.auth";
// Renew this long before the access token expires, so no request races its expiry.
export const RENEW_MARGIN_MS = 60_000;

export type User = { id: string; email: string; displayName: string };
export type Tokens = {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  user: User;
  // When this browser received them, by its own clock (see msLeft).
  receivedAt?: number;
};

export class AuthError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

// Sign-in, sign-up and refresh go without a token, on a client of their own.
const anonymous = new Client({ url: "/graphql", exchanges: [fetchExchange], preferGetMethod: false });
const listeners = new Set<(tokens: Tokens | null) => void>();
let inflight: Promise<Tokens | null> | null = null;

export function storedTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

function store(tokens: Tokens | null): void {
  if (tokens) localStorage.setItem(KEY, JSON.stringify({ ...tokens, receivedAt: tokens.receivedAt ?? Date.now() }));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(tokens));
}

export function onTokens(listener: (tokens: Tokens | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signed in, renewed or signed out.
window.addEventListener("storage", (event) => {
  if (event.key === KEY || event.key === null) listeners.forEach((l) => l(storedTokens()));
});

// How long the access token still works. The server's clock says how long it lives
// (its expiry less the token's `iat`), this browser's clock how long ago it arrived: a
// browser clock set minutes wrong then neither renews every few seconds nor keeps an
// expired token.
function msLeft(tokens: Tokens): number {
  const expires = Date.parse(tokens.accessTokenExpiresAt);
  const issued = issuedAtMs(tokens.accessToken);
  if (tokens.receivedAt === undefined || issued === null) return expires - Date.now();
  return tokens.receivedAt + (expires - issued) - Date.now();
}

function issuedAtMs(accessToken: string): number | null {
  try {
    const payload = accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const iat = (JSON.parse(atob(payload)) as { iat?: unknown }).iat;
    return typeof iat === "number" ? iat * 1000 : null;
  } catch {
    return null;
  }
}

function authError(error: { graphQLErrors: readonly { message: string; extensions?: Record<string, unknown> }[]; message: string }): AuthError {
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code as string | undefined;
  const retry = first?.extensions?.retryAfterSeconds as number | undefined;
  return new AuthError(first?.message ?? "The server could not be reached.", code, retry);
}

export async function signIn(email: string, password: string): Promise<Tokens> {
  const result = await anonymous.mutation(LoginMutation, { input: { email, password } }).toPromise();
  if (result.error || !result.data) throw authError(result.error!);
  store(result.data.login);
  return result.data.login;
}

export async function signUp(email: string, password: string, displayName: string): Promise<Tokens> {
  const input = { email, password, displayName: displayName || null };
  const result = await anonymous.mutation(RegisterMutation, { input }).toPromise();
  if (result.error || !result.data) throw authError(result.error!);
  store(result.data.register);
  return result.data.register;
}

// Revokes the refresh token on the server first, so nobody can rotate it after this.
export async function signOut(): Promise<void> {
  const tokens = storedTokens();
  try {
    const access = tokens && (await freshAccessToken());
    if (tokens && access) {
      const headers = { authorization: `Bearer ${access}` };
      await anonymous.mutation(LogoutMutation, { token: tokens.refreshToken }, { fetchOptions: { headers } }).toPromise();
    }
  } finally {
    store(null);
  }
}

async function rotate(spent: string): Promise<Tokens | null> {
  const current = storedTokens();
  if (!current) return null;
  if (current.refreshToken !== spent) return current; // another tab rotated already
  const result = await anonymous.mutation(RefreshMutation, { token: spent }).toPromise();
  if (result.data) {
    store(result.data.refreshToken);
    return result.data.refreshToken;
  }
  const error = authError(result.error!);
  if (error.code === "UNAUTHENTICATED") store(null); // revoked, expired or reused
  throw error;
}

// Rotates the refresh token once, whatever the number of callers in this tab.
export function renew(): Promise<Tokens | null> {
  const held = storedTokens();
  if (!held) return Promise.resolve(null);
  inflight ??= exclusively(() => rotate(held.refreshToken)).finally(() => {
    inflight = null;
  });
  return inflight;
}

// A valid access token, renewed first when it is about to expire; null when signed out.
export async function freshAccessToken(): Promise<string | null> {
  const tokens = storedTokens();
  if (!tokens) return null;
  if (msLeft(tokens) > RENEW_MARGIN_MS) return tokens.accessToken;
  try {
    return (await renew())?.accessToken ?? null;
  } catch {
    // Offline for a moment: the old token may still work; the next call retries.
    return msLeft(tokens) > 0 ? tokens.accessToken : null;
  }
}

// Silent renewal: checks often, renews only inside the margin.
export function keepRenewing(): () => void {
  const timer = window.setInterval(() => void freshAccessToken(), 5_000);
  return () => window.clearInterval(timer);
}
