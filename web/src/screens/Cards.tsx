// Reviewing due flashcards: show the front, reveal the back, rate it AGAIN to EASY with
// when each rating would bring the card back.
import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { DueCardsQuery, ReviewMutation } from "../api/operations";
import type { ReviewRating } from "../gql/graphql";
import { ErrorText, when } from "../components/Status";

const LABELS: Record<ReviewRating, string> = { AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy" };

// "in 10 minutes", "in 3 days": how far off a due date is, from now.
export function fromNow(iso: string, now = Date.now()): string {
  const minutes = Math.max(1, Math.round((Date.parse(iso) - now) / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `in ${hours} h`;
  const days = Math.round(hours / 24);
  return days < 60 ? `in ${days} ${days === 1 ? "day" : "days"}` : `in ${Math.round(days / 30)} months`;
}

export function Cards() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: DueCardsQuery, requestPolicy: "network-only" });
  const [revealed, setRevealed] = useState(false);
  const [last, setLast] = useState<string | null>(null);
  const [reviewed, review] = useMutation(ReviewMutation);
  // The card just rated stays hidden until the next list arrives, so a second key press
  // cannot rate it twice.
  const [answered, setAnswered] = useState<string | null>(null);
  useEffect(() => setAnswered(null), [data]);
  const next = data?.cards.edges[0]?.node;
  const card = next && next.id !== answered ? next : undefined;
  // How long the learner looked at this card, for FSRS's review log.
  const shown = useRef({ id: "", at: Date.now() });
  if (card && shown.current.id !== card.id) shown.current = { id: card.id, at: Date.now() };

  async function rate(rating: ReviewRating) {
    if (!card) return;
    const seconds = Math.round((Date.now() - shown.current.at) / 1000);
    const result = await review({ input: { cardId: card.id, rating, durationSeconds: Math.min(seconds, 3600) } });
    if (result.data) {
      setAnswered(card.id);
      setLast(`${LABELS[rating]}: “${card.front}” comes back ${when(result.data.reviewCard.due)}.`);
      setRevealed(false);
      refetch({ requestPolicy: "network-only" });
    }
  }

  return (
    <section aria-labelledby="cards-title">
      <h1 id="cards-title">Flashcards</h1>
      <p role="status">{data ? `${data.cards.totalCount} due now` : fetching ? "Loading…" : ""}</p>
      {last && <p className="muted">{last}</p>}
      <ErrorText error={error ?? reviewed.error} />
      {data && !next && <p>Nothing is due. Make cards from a tutor's answer, or come back later.</p>}
      {card && (
        <article className="flashcard card" aria-label="Flashcard">
          <p className="muted">{card.topic.title}</p>
          <h2>{card.front}</h2>
          {revealed ? (
            <>
              <p className="back">{card.back}</p>
              {card.source && (
                <p className="muted">From {card.source.material.filename}{card.source.page ? `, page ${card.source.page}` : ""}</p>
              )}
              <div className="ratings" role="group" aria-label="How well did you recall it?">
                {card.reviewOutcomes.map((o) => (
                  <button type="button" key={o.rating} onClick={() => void rate(o.rating)} disabled={reviewed.fetching}>
                    {LABELS[o.rating]} <small>{fromNow(o.due)}</small>
                  </button>
                ))}
              </div>
            </>
          ) : (
            <button type="button" onClick={() => setRevealed(true)} autoFocus>Show answer</button>
          )}
        </article>
      )}
    </section>
  );
}
