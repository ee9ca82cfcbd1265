// One message of a study session: the text with its citations, a live stream while the
// tutor writes it, and what a learner can do with an answer.
import { useRef, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { GenerateCardsMutation, MessageEventsSubscription, ModelsQuery, MoreDetailMutation, RegenerateMutation, StopMutation } from "../api/operations";
import type { MessageFieldsFragment } from "../gql/graphql";
import { AnswerText } from "../components/AnswerText";
import { ErrorText, Select } from "../components/Status";
import { describeAnswerFailure } from "../errors";
import { cacheStream, cachedStream, forgetStream, type Stream } from "../api/streamCache";

export type Message = MessageFieldsFragment;
type Citation = Message["citations"][number];

export const RUNNING = new Set(["PENDING", "STREAMING"]);

export function LiveAnswer({ message, onEnd }: { message: Message; onEnd: (m: Message) => void }) {
  const start = useRef<Stream>(cachedStream(message.id) ?? { seq: 0, content: message.content });
  const [stream, setStream] = useState<Stream>(start.current);
  const latest = useRef(stream);
  useSubscription(
    { query: MessageEventsSubscription, variables: { id: message.id, afterSeq: start.current.seq } },
    (_, data) => {
      const event = data.messageEvents;
      const now = latest.current;
      // After a reconnect the server replays from the first afterSeq: skip what we have.
      if (event.__typename !== "MessageSnapshot" && event.seq <= now.seq) return data;
      let next: Stream = now;
      if (event.__typename === "MessageDelta") next = { seq: event.seq, content: now.content + event.delta };
      else if ("message" in event) next = { seq: event.seq, content: event.message.content };
      latest.current = next;
      setStream(next);
      if (event.__typename === "MessageSnapshot" || event.__typename === "MessageDelta") {
        cacheStream(message.id, next);
      } else if ("message" in event) {
        forgetStream(message.id);
        onEnd(event.message);
      }
      return data;
    },
  );
  return <AnswerView message={{ ...message, content: stream.content, status: "STREAMING" }} live />;
}

export function AnswerView({ message, live = false, topicId }: { message: Message; live?: boolean; topicId?: string | null }) {
  const [open, setOpen] = useState<Citation | null>(null);
  const mine = message.role === "USER";
  return (
    <article
      className={`message ${mine ? "mine" : "tutor"}`}
      aria-label={mine ? "Question" : "Tutor's answer"}
      data-status={message.status}
      data-message-id={message.id}
      aria-busy={live}
    >
      <div className="text">
        <Cited text={message.content} citations={message.citations} onOpen={setOpen} />
        {live && <span className="caret" aria-hidden="true">▍</span>}
      </div>
      {open && <Passage citation={open} onClose={() => setOpen(null)} />}
      {!mine && <Actions message={message} live={live} topicId={topicId} />}
    </article>
  );
}

function Cited({ text, citations, onOpen }: { text: string; citations: Citation[]; onOpen: (c: Citation) => void }) {
  const byMarker = new Map(citations.map((c, i) => [c.marker ?? i + 1, c] as const));
  return (
    <AnswerText
      text={text}
      cite={(marker, key) => {
        const citation = byMarker.get(marker);
        if (!citation) return null;
        return (
          <button type="button" key={key} className="cite" onClick={() => onOpen(citation)} aria-label={`[${marker}] citation: ${citation.material.filename}`}>
            [{marker}]
          </button>
        );
      }}
    />
  );
}

function Passage({ citation, onClose }: { citation: Citation; onClose: () => void }) {
  return (
    <section className="passage" aria-label="Quoted passage" tabIndex={-1} ref={(el) => el?.focus()}>
      <h3>
        {citation.material.filename}
        {citation.page ? `, page ${citation.page}` : ""}
      </h3>
      <blockquote>{citation.quote}</blockquote>
      <button type="button" onClick={onClose}>Close passage</button>
    </section>
  );
}

function Actions({ message, live, topicId }: { message: Message; live: boolean; topicId?: string | null }) {
  const [stopped, stop] = useMutation(StopMutation);
  const [regenerated, regenerate] = useMutation(RegenerateMutation);
  const [detailed, detail] = useMutation(MoreDetailMutation);
  const [made, makeCards] = useMutation(GenerateCardsMutation);
  const [{ data: models }] = useQuery({ query: ModelsQuery });
  const [model, setModel] = useState("");
  if (live) {
    return (
      <div className="actions">
        <span role="status">The tutor is writing…</span>
        <button type="button" onClick={() => void stop({ id: message.id })} disabled={stopped.fetching}>Stop</button>
        <ErrorText error={stopped.error} />
      </div>
    );
  }
  const failed = message.status === "FAILED";
  return (
    <div className="actions">
      {message.status === "CANCELLED" && <span role="status">Stopped.</span>}
      {failed && (
        <span role="alert" className="error">
          {describeAnswerFailure(message.errorCode)}
          {message.model && ` (model ${message.model}; pick another below to retry with it)`}
        </span>
      )}
      {failed && <button type="button" onClick={() => void regenerate({ id: message.id, model: model || null })}>Retry</button>}
      <Select label="Model for regenerating" value={model} onChange={(e) => setModel(e.target.value)}>
        <option value="">Same model</option>
        {models?.models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
      </Select>
      <button type="button" onClick={() => void regenerate({ id: message.id, model: model || null })}>Regenerate</button>
      {message.status === "COMPLETE" && <button type="button" onClick={() => void detail({ id: message.id })}>More detail</button>}
      {topicId && message.citations.length > 0 && (
        <button type="button" onClick={() => void makeCards({ topicId, messageId: message.id })}>Make flashcards from citations</button>
      )}
      {made.data && <span role="status">{made.data.generateCards.length} flashcards made.</span>}
      <ErrorText error={regenerated.error ?? detailed.error ?? made.error} />
    </div>
  );
}
