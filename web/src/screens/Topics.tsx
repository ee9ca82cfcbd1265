import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { CreateTopicMutation, DeleteTopicMutation, TopicsQuery, UpdateTopicMutation } from "../api/operations";
import { ErrorText, Mastery } from "../components/Status";
import { onLinkClick } from "../router";

type Topic = { id: string; title: string; description?: string | null; progress: { mastery: number; cardsCount: number; dueCardsCount: number; minutesStudied: number } };

export function Topics() {
  const [search, setSearch] = useState("");
  const [{ data, error, fetching }, refetch] = useQuery({ query: TopicsQuery, variables: { search: search.trim() || null } });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  const topics = data?.topics.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="topics-title">
      <h1 id="topics-title">Topics</h1>
      <NewTopic onCreated={refresh} />
      <label className="search">
        Search topics
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      <ErrorText error={error} />
      {!fetching && topics.length === 0 && <p>{search ? "No topic matches that search." : "No topics yet: create your first one above."}</p>}
      <ul className="topics" aria-label="Your topics">
        {topics.map((topic) => <TopicRow key={topic.id} topic={topic} onChange={refresh} />)}
      </ul>
    </section>
  );
}

function NewTopic({ onCreated }: { onCreated: () => void }) {
  const [result, create] = useMutation(CreateTopicMutation);
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title")).trim();
    if (!title) return;
    const done = await create({ input: { title } });
    if (!done.error) {
      form.reset();
      onCreated();
    }
  }
  return (
    <form onSubmit={submit} className="inline">
      <label>
        New topic title
        <input name="title" required maxLength={200} />
      </label>
      <button type="submit" disabled={result.fetching}>Create topic</button>
      <ErrorText error={result.error} />
    </form>
  );
}

function TopicRow({ topic, onChange }: { topic: Topic; onChange: () => void }) {
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [renamed, rename] = useMutation(UpdateTopicMutation);
  const [deleted, remove] = useMutation(DeleteTopicMutation);

  async function submitRename(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const title = String(new FormData(event.currentTarget).get("title")).trim();
    const done = await rename({ id: topic.id, input: { title } });
    if (!done.error) {
      setRenaming(false);
      onChange();
    }
  }

  const progress = topic.progress;
  return (
    <li className="topic">
      {renaming ? (
        <form onSubmit={submitRename} className="inline">
          <label>
            {`New title for ${topic.title}`}
            <input name="title" defaultValue={topic.title} required autoFocus />
          </label>
          <button type="submit">Save title</button>
          <button type="button" onClick={() => setRenaming(false)}>Cancel</button>
        </form>
      ) : (
        <a href={`/topics/${encodeURIComponent(topic.id)}`} onClick={onLinkClick} className="topic-title">{topic.title}</a>
      )}
      <span className="facts">
        <Mastery value={progress.mastery} label={topic.title} />
        <span>{progress.cardsCount} cards, {progress.dueCardsCount} due</span>
        <span>{progress.minutesStudied} min studied</span>
      </span>
      <span className="actions">
        {!renaming && <button type="button" onClick={() => setRenaming(true)} aria-label={`Rename ${topic.title}`}>Rename</button>}
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={async () => { if (!(await remove({ id: topic.id })).error) onChange(); }} aria-label={`Confirm delete ${topic.title}`}>Confirm delete</button>
            <button type="button" onClick={() => setConfirming(false)}>Keep it</button>
          </>
        ) : (
          <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete ${topic.title}`}>Delete</button>
        )}
      </span>
      <ErrorText error={renamed.error ?? deleted.error} />
    </li>
  );
}
