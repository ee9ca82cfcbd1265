// What to study: mastery per topic, next up with reasons, the week's plan, goals with
// exam dates, and daily minutes with the streak.
import { useMutation, useQuery } from "urql";
import { DashboardQuery, DeleteGoalMutation, SetGoalMutation } from "../api/operations";
import { ErrorText, Mastery, Select, day, percent } from "../components/Status";
import { StudyChart } from "../components/StudyChart";
import { onLinkClick } from "../router";

function weeksAgo(weeks: number): string {
  return new Date(Date.now() - weeks * 7 * 86_400_000).toISOString().slice(0, 10);
}

export function Dashboard() {
  const [{ data, error }, refetch] = useQuery({ query: DashboardQuery, variables: { from: weeksAgo(2) }, requestPolicy: "cache-and-network" });
  if (error) return <ErrorText error={error} />;
  if (!data) return <p role="status">Loading…</p>;
  const { studyMetrics: metrics, nextUpTopics, studyPlan, studyGoals } = data;
  const topics = data.topics.edges.map((edge) => edge.node);
  const link = (id: string) => `/topics/${encodeURIComponent(id)}`;
  return (
    <div className="dashboard">
      <h1>Dashboard</h1>
      <section aria-labelledby="activity-title" className="card">
        <h2 id="activity-title">Your study</h2>
        <StudyChart daily={metrics.daily} streak={metrics.currentStreakDays} />
        <p className="muted">
          {metrics.totalMinutes} min, {metrics.reviewsCount} reviews in two weeks
          {metrics.correctRate != null && `, ${percent(metrics.correctRate)} recalled`} · longest streak {metrics.longestStreakDays} days
        </p>
      </section>
      <section aria-labelledby="next-title" className="card">
        <h2 id="next-title">Next up</h2>
        {nextUpTopics.length === 0 ? <p>Create a topic and add material to get suggestions.</p> : (
          <ol>
            {nextUpTopics.map((r) => (
              <li key={r.topic.id}>
                <a href={link(r.topic.id)} onClick={onLinkClick}>{r.topic.title}</a>: {r.reason}
                {r.dueCardsCount > 0 && <span className="muted"> ({r.dueCardsCount} cards due)</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="mastery-title" className="card">
        <h2 id="mastery-title">Mastery per topic</h2>
        {topics.length === 0 ? <p>No topics yet.</p> : (
          <ul className="plain">
            {topics.map((t) => (
              <li key={t.id}>
                <a href={link(t.id)} onClick={onLinkClick}>{t.title}</a> <Mastery value={t.progress.mastery} label={t.title} />
                <span className="muted"> {t.progress.dueCardsCount} due · {t.progress.minutesStudied} min</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="plan-title" className="card wide">
        <h2 id="plan-title">This week's plan</h2>
        <ul className="plan">
          {studyPlan.days.map((d) => (
            <li key={d.date}>
              <strong>{day(d.date)}</strong> <span className="muted">{d.totalMinutes} min</span>
              {d.items.length > 0 && (
                <ul>
                  {d.items.map((item, i) => (
                    <li key={i}>{item.minutes} min {item.topic.title} ({item.mode.toLowerCase()}): {item.reason}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
        {studyPlan.exams.map((exam) => (
          <p key={exam.goalId}>
            Exam {exam.topic.title} on {day(exam.dueDate)}: predicted {percent(exam.predictedMastery)} of a {percent(exam.targetMastery)} target.
          </p>
        ))}
      </section>
      <Goals goals={studyGoals} topics={topics} onChange={() => refetch({ requestPolicy: "network-only" })} />
    </div>
  );
}

type Goal = { id: string; title: string; dueDate?: string | null; targetMastery?: number | null; targetMinutesPerWeek?: number | null; status: string; progress: number; topic?: { id: string; title: string } | null };

function Goals({ goals, topics, onChange }: { goals: Goal[]; topics: { id: string; title: string }[]; onChange: () => void }) {
  const [set, setGoal] = useMutation(SetGoalMutation);
  const [removed, remove] = useMutation(DeleteGoalMutation);
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const values = new FormData(form);
    const mastery = Number(values.get("mastery"));
    const minutes = Number(values.get("minutes"));
    const input = {
      title: String(values.get("title")),
      topicId: String(values.get("topic") || "") || null,
      dueDate: String(values.get("dueDate") || "") || null,
      targetMastery: mastery ? mastery / 100 : null,
      targetMinutesPerWeek: minutes || null,
    };
    if (!(await setGoal({ input })).error) {
      form.reset();
      onChange();
    }
  }
  return (
    <section aria-labelledby="goals-title" className="card wide">
      <h2 id="goals-title">Goals</h2>
      <ul className="plain">
        {goals.map((g) => (
          <li key={g.id}>
            <strong>{g.title}</strong>
            {g.topic && ` · ${g.topic.title}`}
            {g.dueDate && ` · exam ${day(g.dueDate)}`}
            {g.targetMastery != null && ` · target ${percent(g.targetMastery)}`}
            {g.targetMinutesPerWeek != null && ` · ${g.targetMinutesPerWeek} min a week`}
            {" "}<meter min={0} max={1} value={g.progress} aria-label={`${g.title} progress`} /> {percent(g.progress)}
            {" "}<button type="button" onClick={() => void remove({ id: g.id }).then(onChange)} aria-label={`Delete goal ${g.title}`}>Delete</button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="goal-form">
        <label>Goal<input name="title" required maxLength={200} /></label>
        <Select label="Topic" name="topic" defaultValue="">
          <option value="">Any topic</option>
          {topics.map((t) => <option key={t.id} value={t.id}>{t.title}</option>)}
        </Select>
        <label>Exam date<input name="dueDate" type="date" /></label>
        <label>Target mastery (%)<input name="mastery" type="number" min={1} max={100} /></label>
        <label>Minutes a week<input name="minutes" type="number" min={1} max={10000} /></label>
        <button type="submit" disabled={set.fetching}>Add goal</button>
      </form>
      <ErrorText error={set.error ?? removed.error} />
    </section>
  );
}
