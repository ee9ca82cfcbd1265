// Minutes studied per day as a small bar chart (inline SVG: no chart library, nothing
// that a strict Content-Security-Policy would block).
import { day } from "./Status";

type Daily = { date: string; minutes: number; reviews: number };

export function StudyChart({ daily, streak }: { daily: Daily[]; streak: number }) {
  const days = daily.slice(-14);
  const most = Math.max(10, ...days.map((d) => d.minutes));
  const width = 14 * 22;
  const height = 90;
  const total = days.reduce((sum, d) => sum + d.minutes, 0);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 16}`} role="img" aria-label={`Minutes studied on each of the last ${days.length} days, ${total} in all; streak ${streak} days`}>
        {days.map((d, i) => {
          const h = Math.round((d.minutes / most) * height);
          return (
            <g key={d.date}>
              <title>{`${day(d.date)}: ${d.minutes} min, ${d.reviews} reviews`}</title>
              <rect x={i * 22 + 3} y={height - h} width={16} height={Math.max(h, 1)} rx={2} className={d.minutes > 0 ? "bar" : "bar empty"} />
              <text x={i * 22 + 11} y={height + 12} textAnchor="middle" className="axis">{d.date.slice(8)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        Daily minutes, last {days.length} days · streak <strong>{streak}</strong> {streak === 1 ? "day" : "days"}
      </figcaption>
    </figure>
  );
}
