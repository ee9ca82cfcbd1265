import { useMutation, useQuery } from "urql";
import { ModelsQuery, StartSessionMutation, TopicQuery } from "../api/operations";
import { useOnReconnect } from "../api/reconnects";
import type { StudyMode } from "../gql/graphql";
import { ErrorText, Mastery, Select, when } from "../components/Status";
import { navigate, onLinkClick } from "../router";
import { Materials } from "./Materials";

export const MODES: [StudyMode, string][] = [
  ["EXPLAIN", "Explain"],
  ["QUIZ", "Quiz me"],
  ["SOCRATIC", "Socratic (hints and questions)"],
  ["SUMMARIZE", "Summarize"],
];

export function TopicPage({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery({ query: TopicQuery, variables: { id } });
  useOnReconnect(() => refetch({ requestPolicy: "network-only" }));
  const topic = data?.topic;
  if (error) return <ErrorText error={error} />;
  if (!topic) return data ? <p>That topic is gone.</p> : <p role="status">Loading…</p>;
  const progress = topic.progress;
  return (
    <>
      <h1>{topic.title}</h1>
      <p className="facts">
        <Mastery value={progress.mastery} label={topic.title} />
        <span>{progress.cardsCount} cards, {progress.dueCardsCount} due</span>
        <span>{progress.minutesStudied} min studied</span>
        {progress.nextReviewAt && <span>next review {when(progress.nextReviewAt)}</span>}
      </p>
      <StartSession topicId={topic.id} />
      <Materials topicId={topic.id} initial={topic.materials.edges.map((e) => e.node)} />
      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Study sessions</h2>
        {topic.sessions.edges.length === 0 ? <p>None yet.</p> : (
          <ul>
            {topic.sessions.edges.map(({ node }) => (
              <li key={node.id}>
                <a href={`/sessions/${encodeURIComponent(node.id)}`} onClick={onLinkClick}>{node.title}</a>{" "}
                <span className="muted">{node.mode.toLowerCase()}, {when(node.startedAt)}{node.active ? " (active)" : ""}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function StartSession({ topicId }: { topicId: string }) {
  const [{ data: models }] = useQuery({ query: ModelsQuery });
  const [started, start] = useMutation(StartSessionMutation);
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const model = String(form.get("model") || "") || null;
    const result = await start({ input: { topicId, mode: form.get("mode") as StudyMode, model } });
    if (result.data) navigate(`/sessions/${encodeURIComponent(result.data.startStudySession.id)}`);
  }
  return (
    <form onSubmit={submit} className="inline card" aria-label="Start studying">
      <Select label="Mode" name="mode" defaultValue="EXPLAIN">
        {MODES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
      </Select>
      <Select label="Model" name="model" defaultValue="">
        <option value="">Server default</option>
        {models?.models.map((m) => <option key={m.id} value={m.id}>{m.id}{m.isDefault ? " (default)" : ""}</option>)}
      </Select>
      <button type="submit" disabled={started.fetching}>Start studying</button>
      <ErrorText error={started.error} />
    </form>
  );
}
