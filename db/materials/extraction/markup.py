"""Text, Markdown and HTML: bytes decoded, line ends normalised, visible HTML text."""

import codecs
import html
import re
from collections.abc import Iterator

from db.materials.extraction.limits import Deadline


def decode_text(data: bytes) -> str:
    """Text bytes as str: a BOM decides, else UTF-8, else Windows-1252 (never raises)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Legacy single-byte files; cp1252 leaves five bytes undefined, hence replace.
        return data.decode("cp1252", errors="replace")


def normalize_text(text: str) -> str:
    """Text with Unix line ends and no NUL characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "pre", "blockquote", "dt", "dd", "hr",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "template", "noscript", "svg", "iframe", "object"}


_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9-]*)")


def _visible_parts(markup: str, deadline: Deadline | None) -> Iterator[str]:
    """The text between tags, with paragraph breaks for block tags, in one forward pass.

    Not html.parser: it is quadratic on hostile markup ("<a<a<a..." of 240 KB took
    minutes inside a worker thread nobody can stop). Every search here starts where
    the last one ended, so the time is linear in the input whatever it holds; an
    unterminated comment or tag simply ends the text.
    """
    lowered = markup.lower()  # to find </script> and friends case-insensitively
    position, length, steps = 0, len(markup), 0
    while position < length:
        steps += 1
        if deadline is not None and steps % 4096 == 0:
            deadline.check()
        opening = markup.find("<", position)
        if opening < 0:
            yield markup[position:]
            return
        yield markup[position:opening]
        following = markup[opening + 1 : opening + 2]
        if not (following.isalpha() or following in ("/", "!", "?")):
            yield "<"  # "a < b": a browser shows it as text, and so do we
            position = opening + 1
            continue
        if markup.startswith("<!--", opening):
            closing = markup.find("-->", opening + 4)
            if closing < 0:
                return
            position = closing + 3
            continue
        closing = markup.find(">", opening + 1)
        if closing < 0:
            return
        position = closing + 1
        name_match = _TAG_NAME.match(markup, opening + 1, closing)
        if name_match is None:  # <!DOCTYPE>, <?xml?>, a stray "<": no text of its own
            continue
        name, is_end = name_match.group(1).lower(), markup[opening + 1] == "/"
        if name in _SKIP_TAGS and not is_end and not markup[opening:closing].endswith("/"):
            # Everything up to the matching end tag is invisible (scripts, styles...).
            end = lowered.find(f"</{name}", position)
            if end < 0:
                return
            after = markup.find(">", end)
            position = length if after < 0 else after + 1
        elif name == "br":
            yield "\n"
        elif name in _BLOCK_TAGS:
            yield "\n\n"


def html_to_text(markup: str, deadline: Deadline | None = None) -> str:
    """Visible text of an HTML document: no tags, scripts or styles; blocks as paragraphs."""
    parts = list(_visible_parts(markup, deadline))
    text = html.unescape("".join(parts))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
