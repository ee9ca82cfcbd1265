// What this tab has shown of each running answer, so a reload resumes after it
// (afterSeq). It holds answer text: signing out clears it, so the next person at this
// tab cannot read it back from sessionStorage.
const PREFIX = "studygraph.stream.";

export type Stream = { seq: number; content: string };

export function cachedStream(id: string): Stream | null {
  try {
    return JSON.parse(sessionStorage.getItem(PREFIX + id) ?? "null");
  } catch {
    return null;
  }
}

export function cacheStream(id: string, stream: Stream): void {
  sessionStorage.setItem(PREFIX + id, JSON.stringify(stream));
}

export function forgetStream(id: string): void {
  sessionStorage.removeItem(PREFIX + id);
}

export function forgetAllStreams(): void {
  for (const key of Object.keys(sessionStorage)) {
    if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
  }
}
