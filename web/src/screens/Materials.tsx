import { useRef, useState } from "react";
import { useMutation, useSubscription } from "urql";
import { DeleteMaterialMutation, MaterialEventsSubscription, UploadMutation } from "../api/operations";
import { useOnReconnect } from "../api/reconnects";
import type { MaterialFieldsFragment } from "../gql/graphql";
import { ErrorText } from "../components/Status";
import { describeError } from "../errors";

type Progress = Record<string, { done: number; total: number }>;

export function Materials({ topicId, initial }: { topicId: string; initial: MaterialFieldsFragment[] }) {
  const [live, setLive] = useState<Record<string, MaterialFieldsFragment | null>>({});
  const [progress, setProgress] = useState<Progress>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const [, upload] = useMutation(UploadMutation);
  const [deleted, remove] = useMutation(DeleteMaterialMutation);

  // After a reconnect the topic's query is read again (TopicPage); what was live here may
  // be stale by then, so the fresh list wins.
  useOnReconnect(() => setLive({}));

  // Processing progress and status changes, live from the server.
  useSubscription({ query: MaterialEventsSubscription, variables: { topicId } }, (_, event) => {
    const e = event.materialEvents;
    setLive((prev) => ({ ...prev, [e.materialId]: e.kind === "DELETED" ? null : (e.material ?? prev[e.materialId] ?? null) }));
    if (e.progress) setProgress((prev) => ({ ...prev, [e.materialId]: e.progress! }));
    return event;
  });

  async function send(files: FileList | File[]) {
    setProblems([]);
    for (const file of Array.from(files)) {
      const result = await upload({ topicId, file });
      if (result.error) setProblems((prev) => [...prev, `${file.name}: ${describeError(result.error)}`]);
      else {
        const material = result.data!.uploadStudyMaterial;
        // materialEvents may have told a later state (READY) before this answer arrived.
        setLive((prev) => (material.id in prev ? prev : { ...prev, [material.id]: material }));
      }
    }
  }

  const merged = new Map(initial.map((m) => [m.id, m] as const));
  for (const [id, material] of Object.entries(live)) {
    if (material) merged.set(id, material);
    else merged.delete(id);
  }
  const materials = [...merged.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  return (
    <section aria-labelledby="materials-title">
      <h2 id="materials-title">Material</h2>
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void send(e.dataTransfer.files);
        }}
        data-testid="dropzone"
      >
        <p>Drop files here (text, Markdown, HTML, PDF, DOCX), or</p>
        <label className="button">
          Choose files
          <input
            ref={picker}
            type="file"
            multiple
            className="visually-hidden"
            accept=".txt,.md,.markdown,.htm,.html,.pdf,.docx"
            onChange={(e) => {
              if (e.target.files) void send(e.target.files);
              e.target.value = "";
            }}
          />
        </label>
      </div>
      {problems.map((p) => <p role="alert" className="error" key={p}>{p}</p>)}
      <ErrorText error={deleted.error} />
      {materials.length === 0 ? <p>No material yet.</p> : (
        <ul className="materials" aria-label="Material files">
          {materials.map((m) => (
            <li key={m.id}>
              <strong>{m.filename}</strong>
              <MaterialState material={m} progress={progress[m.id]} />
              <button type="button" onClick={() => void remove({ id: m.id }).then((r) => !r.error && setLive((p) => ({ ...p, [m.id]: null })))} aria-label={`Delete ${m.filename}`}>Delete</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function MaterialState({ material, progress }: { material: MaterialFieldsFragment; progress?: { done: number; total: number } }) {
  if (material.status === "FAILED") return <span className="error" role="status">Could not be read: {material.error ?? "unknown reason"}</span>;
  if (material.status === "PROCESSING") {
    return (
      <span role="status">
        Processing…{" "}
        {progress && progress.total > 0 && (
          <progress max={progress.total} value={progress.done} aria-label={`${material.filename} processing`}>{progress.done} of {progress.total}</progress>
        )}
      </span>
    );
  }
  const pages = material.pageCount ? `${material.pageCount} ${material.pageCount === 1 ? "page" : "pages"}, ` : "";
  return <span role="status">Ready: {pages}{material.chunkCount} passages</span>;
}
