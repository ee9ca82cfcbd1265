// A study session: the conversation, the answer streaming in, and the question box.
// Another tab on the same session follows it through sessionEvents.
import { useCallback, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { EndSessionMutation, SendMessageMutation, SessionEventsSubscription, SessionQuery } from "../api/operations";
import { useOnReconnect } from "../api/reconnects";
import { ENDING_EVENTS, announceAnswerEnded } from "../api/answerEnds";
import type { StudyMode } from "../gql/graphql";
import { ErrorText, Select } from "../components/Status";
import { onLinkClick } from "../router";
import { AnswerView, LiveAnswer, RUNNING, type Message } from "./Answer";
import { MODES } from "./TopicPage";

function ordered(messages: Map<string, Message>): Message[] {
  return [...messages.values()].sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || (a.role === b.role ? 0 : a.role === "USER" ? -1 : 1),
  );
}

export function SessionPage({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery({ query: SessionQuery, variables: { id }, requestPolicy: "network-only" });
  const [local, setLocal] = useState<Record<string, Message>>({});
  const reload = useCallback(() => refetch({ requestPolicy: "network-only" }), [refetch]);
  useOnReconnect(reload);
  const remember = useCallback((...messages: (Message | null | undefined)[]) => {
    setLocal((prev) => Object.fromEntries([...Object.entries(prev), ...messages.filter((m): m is Message => !!m).map((m) => [m.id, m])]));
  }, []);

  // Messages started here or in another tab (MessageAdded), and answers that end.
  useSubscription({ query: SessionEventsSubscription, variables: { id } }, (_, event) => {
    const kind = event.sessionEvents.__typename;
    if (kind !== "MessageDelta" && kind !== "ToolCallEvent") reload();
    if (ENDING_EVENTS.has(kind)) announceAnswerEnded();
    return event;
  });

  const session = data?.studySession;
  if (error) return <ErrorText error={error} />;
  if (!session) return data ? <p>That study session is gone.</p> : <p role="status">Loading…</p>;

  const byId = new Map(session.messages.edges.map(({ node }) => [node.id, node] as const));
  for (const message of Object.values(local)) {
    const stored = byId.get(message.id);
    // The newer of the two: a finished answer wins over a stale running copy.
    if (!stored || (RUNNING.has(stored.status) && !RUNNING.has(message.status)) || !RUNNING.has(message.status)) {
      byId.set(message.id, message);
    }
  }
  const messages = ordered(byId);
  const topicId = session.topic?.id ?? null;
  return (
    <section aria-labelledby="session-title" className="session">
      <h1 id="session-title">{session.title}</h1>
      <p className="muted">
        {session.topic && <a href={`/topics/${encodeURIComponent(session.topic.id)}`} onClick={onLinkClick}>{session.topic.title}</a>}
        {" · "}{session.mode.toLowerCase()} · {session.model}{session.active ? "" : " · ended"}
      </p>
      {/* Not a live region: a screen reader would read every streamed word. */}
      <div className="conversation" aria-label="Conversation">
        {messages.length === 0 && <p>Ask your first question below.</p>}
        {messages.map((m) =>
          m.role === "ASSISTANT" && RUNNING.has(m.status) ? (
            <LiveAnswer key={m.id} message={m} onEnd={(done) => remember(done)} />
          ) : (
            <AnswerView key={m.id} message={m} topicId={topicId} />
          ),
        )}
      </div>
      <AskForm sessionId={session.id} mode={session.mode} onSent={remember} />
      {session.active && <EndButton id={session.id} onEnded={reload} />}
    </section>
  );
}

function AskForm({ sessionId, mode, onSent }: { sessionId: string; mode: StudyMode; onSent: (...m: (Message | null | undefined)[]) => void }) {
  const [sent, send] = useMutation(SendMessageMutation);
  const [text, setText] = useState("");
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const content = text.trim();
    if (!content) return;
    const chosen = new FormData(event.currentTarget).get("mode") as StudyMode;
    // The same key makes a retried request safe: the server answers it once.
    const input = { sessionId, content, mode: chosen, clientMessageId: crypto.randomUUID() };
    const result = await send({ input });
    if (result.data) {
      setText("");
      onSent(result.data.sendMessage.userMessage, result.data.sendMessage.assistantMessage);
    }
  }
  return (
    <form onSubmit={submit} className="ask card">
      <label>
        Your question
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={3}
          required
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
      </label>
      <div className="inline">
        <Select label="Mode" name="mode" defaultValue={mode}>
          {MODES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </Select>
        <button type="submit" disabled={sent.fetching}>Ask</button>
        <span className="muted">Ctrl+Enter sends</span>
      </div>
      <ErrorText error={sent.error} />
    </form>
  );
}

function EndButton({ id, onEnded }: { id: string; onEnded: () => void }) {
  const [, end] = useMutation(EndSessionMutation);
  return <button type="button" onClick={() => void end({ id }).then(onEnded)}>End session</button>;
}
