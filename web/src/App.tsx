import { useEffect, useRef, useState } from "react";
import { type Client, Provider, useQuery } from "urql";
import { keepRenewing, onTokens, signOut, storedTokens, type Tokens } from "./api/auth";
import { createClient } from "./api/client";
import { forgetAllStreams } from "./api/streamCache";
import { MeQuery, ServerInfoQuery } from "./api/operations";
import { useOnAnswerEnded } from "./api/answerEnds";
import { Cards } from "./screens/Cards";
import { Dashboard } from "./screens/Dashboard";
import { SessionPage } from "./screens/Session";
import { SignIn } from "./screens/SignIn";
import { TopicPage } from "./screens/TopicPage";
import { Topics } from "./screens/Topics";
import { navigate, onLinkClick, usePath } from "./router";

export function App() {
  const [tokens, setTokens] = useState<Tokens | null>(storedTokens);
  const userId = tokens?.user.id ?? null;
  // One client per learner, made in an effect and disposed in its cleanup: creating it
  // starts timers and listeners, which a render must not do (React may render twice, or
  // mount, unmount and mount again in development, and would leak the extra ones).
  const [made, setMade] = useState<{ userId: string | null; client: Client } | null>(null);
  useEffect(() => {
    const { client, dispose } = createClient();
    setMade({ userId, client });
    return dispose;
  }, [userId]);
  useEffect(() => onTokens(setTokens), []);
  // Signed out (here or in another tab): no answer text stays behind in this tab.
  useEffect(() => {
    if (!userId) forgetAllStreams();
  }, [userId]);
  useEffect(() => (tokens ? keepRenewing() : undefined), [tokens !== null]);
  // Never the previous learner's client, not even for the one render before the effect.
  if (!made || made.userId !== userId) return null;
  return (
    <Provider value={made.client}>
      {tokens ? <SignedIn key={tokens.user.id} name={tokens.user.displayName || tokens.user.email} /> : <SignIn />}
      <Footer />
    </Provider>
  );
}

const NAV = [
  ["/", "Dashboard"],
  ["/topics", "Topics"],
  ["/cards", "Flashcards"],
] as const;

function SignedIn({ name }: { name: string }) {
  const path = usePath();
  // After a navigation, keyboard and screen-reader users start at the new screen.
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (!first.current) main.current?.focus();
    first.current = false;
  }, [path]);
  return (
    <>
      <header className="top">
        <a className="brand" href="/" onClick={onLinkClick}>studygraph</a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a key={href} href={href} onClick={onLinkClick} aria-current={section(path) === href ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <Account name={name} />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Screen path={path} />
      </main>
    </>
  );
}

function section(path: string): string {
  if (path.startsWith("/topics") || path.startsWith("/sessions")) return "/topics";
  return path.startsWith("/cards") ? "/cards" : "/";
}

function Screen({ path }: { path: string }) {
  const [, kind, id] = path.split("/");
  if (kind === "topics" && id) return <TopicPage id={decodeURIComponent(id)} />;
  if (kind === "topics") return <Topics />;
  if (kind === "sessions" && id) return <SessionPage id={decodeURIComponent(id)} />;
  if (kind === "cards") return <Cards />;
  return <Dashboard />;
}

function Account({ name }: { name: string }) {
  const [{ data }, refetch] = useQuery({ query: MeQuery });
  // The budget left changes when an answer ends (its tokens are charged then).
  useOnAnswerEnded(() => refetch({ requestPolicy: "network-only" }));
  const usage = data?.me.usage;
  const budget = usage?.dailyTokenBudget;
  const current = data?.currentSession;
  return (
    <div className="account">
      {current && (
        <a href={`/sessions/${encodeURIComponent(current.id)}`} onClick={onLinkClick}>
          Continue: {current.title}
        </a>
      )}
      <span className="who">{name}</span>
      {usage && (
        <span className="budget">
          {budget ? `${usage.remainingTokens ?? 0} of ${budget} tokens left today` : `${usage.inputTokens + usage.outputTokens} tokens today`}
        </span>
      )}
      <button type="button" onClick={() => void signOut().then(() => navigate("/"))}>Sign out</button>
    </div>
  );
}

function Footer() {
  // Production serves neither GraphiQL nor the SDL: no links to pages that are not there.
  const [{ data }] = useQuery({ query: ServerInfoQuery });
  const tools = data?.serverInfo.developerTools === true;
  return (
    <footer className="foot">
      <span>studygraph{data && ` ${data.serverInfo.version}`}</span>
      <a href="/start">About this server</a>
      {tools && <a href="/graphql">GraphiQL</a>}
      {tools && <a href="/schema.graphql">Schema</a>}
      <a href="/healthz">Health</a>
    </footer>
  );
}
