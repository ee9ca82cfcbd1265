import { useId } from "react";
import type { CombinedError } from "urql";
import { describeError } from "../errors";

// An operation's error in words, announced to screen readers.
export function ErrorText({ error }: { error: CombinedError | string | null | undefined }) {
  const text = typeof error === "string" ? error : describeError(error);
  return text ? <p role="alert" className="error">{text}</p> : null;
}

export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

export function Mastery({ value, label }: { value: number; label: string }) {
  return (
    <span className="mastery">
      <meter min={0} max={1} low={0.4} high={0.8} optimum={1} value={value} aria-label={`${label} mastery`} />
      <span>{percent(value)}</span>
    </span>
  );
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function day(isoDate: string): string {
  return new Date(`${isoDate}T12:00:00`).toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" });
}

// A labelled select: the label names only the field (wrapping it would add the options'
// text to the label and blur the accessible name).
export function Select({ label, children, ...props }: { label: string } & React.SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...props}>{children}</select>
    </div>
  );
}
