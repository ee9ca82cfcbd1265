// An answer's Markdown, the little of it the tutor writes: paragraphs, "> " quotes,
// "- " lists, fenced code, `inline code` and **bold**, with [n] citation markers as buttons. Built as React
// elements (never innerHTML), so nothing in an answer or a quoted passage can inject
// markup; a fence still open while the answer streams shows as code so far.
import type { ReactNode } from "react";

type Block = { kind: "p" | "quote" | "code" | "list"; text: string };

// Which kind of block a (non-blank, unfenced) line belongs to.
function lineKind(line: string): Block["kind"] {
  if (/^\s*>/.test(line)) return "quote";
  return /^\s*[-*] /.test(line) ? "list" : "p";
}

const MARKS = { quote: /^\s*> ?/, list: /^\s*[-*] /, p: /^/, code: /^/ };

export function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let lines: string[] = [];
  let kind: Block["kind"] = "p";
  const flush = () => {
    if (lines.length && (kind === "code" || lines.some((l) => l.trim()))) out.push({ kind, text: lines.join("\n") });
    lines = [];
  };
  for (const line of markdown.split("\n")) {
    if (kind === "code") {
      if (line.trimStart().startsWith("```")) (flush(), (kind = "p"));
      else lines.push(line);
    } else if (line.trimStart().startsWith("```")) {
      flush();
      kind = "code";
    } else if (!line.trim()) {
      flush();
      kind = "p";
    } else {
      const next = lineKind(line);
      if (next !== kind) (flush(), (kind = next));
      lines.push(line.replace(MARKS[next], ""));
    }
  }
  flush();
  return out;
}

export function AnswerText({ text, cite }: { text: string; cite: (marker: number, key: string) => ReactNode | null }) {
  const inline = (part: string, prefix: string) =>
    part.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*|\[\d+\])/).map((piece, i) => {
      const key = `${prefix}-${i}`;
      if (/^`[^`]+`$/.test(piece)) return <code key={key}>{piece.slice(1, -1)}</code>;
      if (/^\*\*[^*]+\*\*$/.test(piece)) return <strong key={key}>{piece.slice(2, -2)}</strong>;
      const marker = /^\[(\d+)\]$/.exec(piece);
      return (marker && cite(Number(marker[1]), key)) || piece;
    });
  return (
    <>
      {blocks(text).map((block, i) => {
        if (block.kind === "code") return <pre key={i}><code>{block.text}</code></pre>;
        if (block.kind === "quote") return <blockquote key={i}>{inline(block.text, `q${i}`)}</blockquote>;
        if (block.kind === "list") {
          return <ul key={i}>{block.text.split("\n").map((item, j) => <li key={j}>{inline(item, `l${i}-${j}`)}</li>)}</ul>;
        }
        return <p key={i}>{inline(block.text, `p${i}`)}</p>;
      })}
    </>
  );
}
