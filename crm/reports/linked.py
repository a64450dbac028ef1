"""Words drafted from the records, kept linked to them inside the text staff edit.

A drafted text is paragraphs of sentences; a sentence is plain words and tokens: a figure or a name drafted from
a record ("17", "RMB 500,000", "the China Association for Science and Technology (CAST)"), each with the lists
or records it rests on. Rendering it gives the text staff see and its ``Links``: where each token sits.

- When staff edit the text, ``rebase`` moves the links with the words that stayed. A token whose own words staff
  changed is theirs: it is no longer linked, and no redraft touches it again.
- A redraft (``redraft_changes``) compares the linked tokens with the new draft's. A token whose record changed is
  updated in place, inside whatever sentence staff wrote around it; a sentence the new draft has and the text
  never had is offered as an addition; a token the records no longer give is pointed out, never removed. Each is
  shown for acceptance (``apply``); nothing else in the text is ever replaced.

Plain data in and out: no database, no HTTP.
"""

import difflib
import re
from dataclasses import asdict, dataclass, field

from crm.reports.section import Figure

# --- what the drafter writes ----------------------------------------------------------------------------------


@dataclass
class Token:
    """Words drafted from records; ``key`` names it within its sentence ("count", "org:12")."""

    key: str
    text: str
    refs: list[Figure] = field(default_factory=list)


@dataclass
class Sentence:
    """One drafted sentence; ``key`` stays the same from draft to draft while it tells the same thing
    ("partners:type:research"), so that a redraft knows which sentences a text already holds."""

    key: str
    parts: list  # str | Token

    def tokens(self) -> list[tuple[str, Token]]:
        return [(f"{self.key}/{part.key}", part) for part in self.parts if isinstance(part, Token)]

    @property
    def text(self) -> str:
        return "".join(part.text if isinstance(part, Token) else part for part in self.parts)


# A named placeholder of a translated sentence ("%(centre)s"), or an escaped percent sign.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def sentence(key: str, translated: str, **values) -> Sentence:
    """The Sentence of one translated string: ``translated`` (the sentence's msgid in the drafting language, its
    placeholders unfilled, e.g. "%(centre)s has initiated engagement with %(count)s.") split on its placeholders,
    each replaced by its value: a Token stays a token (it keeps its records wherever the language puts it), plain
    words join the text around them. The English sentence renders exactly as the words were written before.

    A placeholder the translation lacks leaves its token out; one it has that is not given is an error."""
    parts: list = []

    def add(text: str) -> None:
        if not text:
            return
        if parts and isinstance(parts[-1], str):
            parts[-1] += text
        else:
            parts.append(text)

    at = 0
    for match in _PLACEHOLDER.finditer(translated):
        add(translated[at : match.start()])
        if match.group(0) == "%%":
            add("%")
        else:
            value = values[match.group(1)]
            if isinstance(value, Token):
                parts.append(value)
            else:
                add(str(value))
        at = match.end()
    add(translated[at:])
    return Sentence(key, parts)


@dataclass
class Drafted:
    """A field's draft: paragraphs of sentences; ``numbered`` fields are the narrative's "1. ..." points, one
    paragraph each."""

    paragraphs: list[list[Sentence]] = field(default_factory=list)
    numbered: bool = False
    # Between the sentences of a paragraph: a space; none in Chinese, whose full stop "。" holds its own space.
    separator: str = " "

    def sentences(self) -> list[Sentence]:
        return [sentence for paragraph in self.paragraphs for sentence in paragraph]

    def tokens(self) -> dict[str, Token]:
        return {key: token for sentence in self.sentences() for key, token in sentence.tokens()}

    @property
    def text(self) -> str:
        return self.render().text

    def render(self) -> "LinkedText":
        text, spans = "", []
        for number, paragraph in enumerate(self.paragraphs, start=1):
            if text:
                text += "\n\n"
            if self.numbered:
                text += f"{number}. "
            for index, sentence in enumerate(paragraph):
                if index:
                    text += self.separator
                text, added = _append(text, sentence)
                spans += added
        return LinkedText(text, spans, [s.key for s in self.sentences()])


def _append(text: str, sentence: Sentence) -> tuple[str, list["Span"]]:
    spans = []
    for part in sentence.parts:
        if isinstance(part, Token):
            spans.append(
                Span(f"{sentence.key}/{part.key}", len(text), len(text) + len(part.text), part.text, part.refs)
            )
            text += part.text
        else:
            text += part
    return text, spans


# --- what is stored beside the text ---------------------------------------------------------------------------


@dataclass
class Span:
    key: str
    start: int
    end: int
    text: str
    refs: list[Figure] = field(default_factory=list)

    def moved(self, by: int) -> "Span":
        return Span(self.key, self.start + by, self.end + by, self.text, self.refs)


@dataclass
class LinkedText:
    """A text and where its drafted tokens sit; ``drafted`` lists the sentences ever drafted into it (one staff
    deleted is not offered again)."""

    text: str
    spans: list[Span] = field(default_factory=list)
    drafted: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"spans": [asdict(span) for span in self.spans], "drafted": list(self.drafted)}

    @classmethod
    def of(cls, text: str, links: dict | None) -> "LinkedText":
        """The stored text with its stored links, those that no longer fit the text left out."""
        links = links or {}
        spans = []
        for raw in links.get("spans", []):
            span = Span(**{**raw, "refs": [Figure(**ref) for ref in raw.get("refs", [])]})
            if text[span.start : span.end] == span.text:
                spans.append(span)
        return cls(text, sorted(spans, key=lambda s: s.start), list(links.get("drafted", [])))

    def keys(self) -> set[str]:
        return {span.key for span in self.spans}


# --- staff edit: the links follow the words that stayed -------------------------------------------------------

_PIECE = re.compile(r"\w+|\s+|[^\w\s]")


def _pieces(text: str, cuts: set[int]) -> list[tuple[int, int]]:
    """The text cut into words, spaces and marks, and also at ``cuts`` (where tokens begin and end)."""
    found = []
    for match in _PIECE.finditer(text):
        start, end = match.span()
        inner = sorted(c for c in cuts if start < c < end)
        for edge in [*inner, end]:
            found.append((start, edge))
            start = edge
    return found


def rebase(old: LinkedText, new_text: str) -> LinkedText:
    """The links of ``old`` moved onto ``new_text`` (the same text as staff edited it): a token keeps its link when
    its words are still there, unchanged and whole."""
    if new_text == old.text:
        return LinkedText(new_text, list(old.spans), list(old.drafted))
    cuts = {edge for span in old.spans for edge in (span.start, span.end)}
    before, after = _pieces(old.text, cuts), _pieces(new_text, set())
    matcher = difflib.SequenceMatcher(
        None, [old.text[a:b] for a, b in before], [new_text[a:b] for a, b in after], autojunk=False
    )
    starts = {start: index for index, (start, _) in enumerate(before)}
    ends = {end: index for index, (_, end) in enumerate(before)}
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    kept = []
    for span in old.spans:
        first, last = starts.get(span.start), ends.get(span.end)
        if first is None or last is None:
            continue
        block = next((b for b in blocks if b.a <= first and last < b.a + b.size), None)
        if block is None:
            continue
        offset = block.b - block.a
        start, end = after[first + offset][0], after[last + offset][1]
        kept.append(Span(span.key, start, end, new_text[start:end], span.refs))
    return LinkedText(new_text, kept, list(old.drafted))


# --- sentences, as the preview shows where each comes from ----------------------------------------------------

# A sentence ends at . ! ? (or their CJK forms) before a space and a capital, a digit or a quote, or at the end; a
# CJK full stop also where the next sentence follows it straight away, as Chinese writes them.
_END = re.compile(r"[.!?。！？](?=\s+[^\sa-z]|\s*$)|[。！？](?=[^\s”’」』）)])")


@dataclass
class Passage:
    """A sentence of the text: ``refs`` are the records its drafted words rest on (none: staff wrote it);
    ``marks`` the (start, end) of those words within it; ``note`` the number of the note that lists ``refs``
    (consecutive sentences resting on the same records share one)."""

    text: str
    refs: list[Figure] = field(default_factory=list)
    marks: list[tuple[int, int]] = field(default_factory=list)
    note: int | None = None

    def pieces(self) -> list[tuple[str, bool]]:
        """The sentence as (words, drafted from the records?) runs, for highlighting."""
        runs, at = [], 0
        for start, end in self.marks:
            if start > at:
                runs.append((self.text[at:start], False))
            runs.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            runs.append((self.text[at:], False))
        return runs


def _sentence_ends(text: str, start: int, end: int, spans: list[Span]) -> list[int]:
    inside = [(s.start, s.end) for s in spans]
    ends = []
    for match in _END.finditer(text, start, end):
        at = match.end()
        if any(a < at <= b for a, b in inside):
            continue
        # "1. The MoA...": a point's number is not a sentence.
        if re.fullmatch(r"\s*\d+\.", text[ends[-1] if ends else start : at]):
            continue
        ends.append(at)
    if not ends or ends[-1] < end:
        ends.append(end)
    return ends


def _distinct(refs: list[Figure]) -> list[Figure]:
    return list({(r.label, r.endpoint, str(sorted(r.args.items()))): r for r in refs}.values())


@dataclass
class Annotated:
    """A text as the preview shows it: paragraphs of passages, and the notes their numbers refer to."""

    paragraphs: list[list[Passage]]
    notes: list[list[Figure]]


def annotated(linked: LinkedText) -> Annotated:
    """The text's passages, each drafted one numbered with the note of the records it rests on; a sentence resting
    on the same records as the one before shares its number (the note is shown once, after the last)."""
    paras, notes = passages(linked), []
    sequence = [passage for paragraph in paras for passage in paragraph]
    previous = None
    for index, passage in enumerate(sequence):
        if not passage.refs:
            previous = None
            continue
        if passage.refs != previous:
            notes.append(passage.refs)
        previous = passage.refs
        following = sequence[index + 1] if index + 1 < len(sequence) else None
        passage.note = None if following is not None and following.refs == passage.refs else len(notes)
    return Annotated(paras, notes)


def passages(linked: LinkedText) -> list[list[Passage]]:
    """The text as paragraphs of sentences, each with the records its drafted words rest on."""
    text = linked.text
    result = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", text):
        start, end = match.span()
        if not text[start:end].strip():
            continue
        paragraph, at = [], start
        for stop in _sentence_ends(text, start, end, linked.spans):
            piece = text[at:stop]
            lead = len(piece) - len(piece.lstrip())
            begin = at + lead
            inside = [s for s in linked.spans if begin <= s.start and s.end <= stop]
            refs = list(
                {(r.label, r.endpoint, str(sorted(r.args.items()))): r for s in inside for r in s.refs}.values()
            )
            marks = [(s.start - begin, s.end - begin) for s in inside]
            if piece.strip():
                paragraph.append(Passage(text[begin:stop], refs, marks))
            at = stop
        result.append(paragraph)
    return result


# --- redrafting -----------------------------------------------------------------------------------------------


@dataclass
class Change:
    """One change a redraft offers in one field. ``kind``: "update" (a token's words, in place), "add" (a sentence
    the text never had), "gone" (a token the records no longer give: pointed out, never applied)."""

    kind: str
    key: str
    before: str
    after: str
    context: str = ""


def redraft_changes(current: LinkedText, new: Drafted) -> list[Change]:
    tokens = new.tokens()
    changes = []
    for span in current.spans:
        token = tokens.get(span.key)
        if token is None:
            changes.append(Change("gone", span.key, span.text, "", _around(current.text, span.start, span.end)))
        elif token.text != span.text:
            changes.append(
                Change("update", span.key, span.text, token.text, _around(current.text, span.start, span.end))
            )
    present = current.keys()
    for sentence in new.sentences():
        known = sentence.key in current.drafted or any(key in present for key, _ in sentence.tokens())
        if not known:
            changes.append(Change("add", sentence.key, "", sentence.text))
    return changes


def _around(text: str, start: int, end: int, width: int = 70) -> str:
    """The words around a token, for the redraft page to show it in its sentence."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    right = len(text) if right < 0 else right
    left, right = max(left, start - width), min(right, end + width)
    return (
        ("…" if left > 0 and text[left - 1] != "\n" else "")
        + text[left:right]
        + ("…" if right < len(text) and text[right] != "\n" else "")
    )


def apply(current: LinkedText, new: Drafted, accepted: set[str]) -> LinkedText:
    """The text with the accepted updates and additions of ``redraft_changes`` made; every other word as it was.
    Tokens the draft still gives refresh their links to the records."""
    tokens = new.tokens()
    edits: list[tuple[int, int, int, str, list[Span]]] = []  # (start, end, order, replacement, spans at 0)
    kept = []
    for span in current.spans:
        token = tokens.get(span.key)
        if token is not None and token.text != span.text and span.key in accepted:
            replacement = [Span(span.key, 0, len(token.text), token.text, token.refs)]
            edits.append((span.start, span.end, len(edits), token.text, replacement))
        else:
            kept.append(Span(span.key, span.start, span.end, span.text, token.refs if token else span.refs))
    drafted = list(current.drafted)
    sentences = new.sentences()
    numbered_items = len(re.findall(r"(?m)^\s*\d+\.\s", current.text))
    for index, sentence in enumerate(sentences):
        if sentence.key not in accepted or sentence.key in drafted:
            continue
        if new.numbered:
            numbered_items += 1
            where, lead = len(current.text), ("\n\n" if current.text.strip() else "") + f"{numbered_items}. "
        else:
            where, lead = _insertion_point(current, sentences[:index], _opens_paragraph(new, sentence), new.separator)
        body, spans = _append("", sentence)
        edits.append((where, where, len(edits), lead + body, [s.moved(len(lead)) for s in spans]))
        drafted.append(sentence.key)
    text, spans = current.text, kept
    # From the end backwards, so that each edit's offsets still hold; additions at one place keep the draft's order.
    for start, end, _, replacement, inserted in sorted(edits, key=lambda e: e[:3], reverse=True):
        delta = len(replacement) - (end - start)
        text = text[:start] + replacement + text[end:]
        spans = [s.moved(delta) if s.start >= end else s for s in spans] + [s.moved(start) for s in inserted]
    return LinkedText(text, sorted(spans, key=lambda s: s.start), drafted)


def _opens_paragraph(new: Drafted, sentence: Sentence) -> bool:
    return any(paragraph and paragraph[0] is sentence for paragraph in new.paragraphs)


def _insertion_point(
    current: LinkedText, earlier: list[Sentence], new_paragraph: bool, separator: str = " "
) -> tuple[int, str]:
    """Where an added sentence goes: after the sentence (or, when it opens a paragraph, the paragraph) of the text
    that holds the nearest earlier drafted sentence; at the end when there is none."""
    text = current.text
    for sentence in reversed(earlier):
        ends = [span.end for span in current.spans if span.key.startswith(sentence.key + "/")]
        if not ends:
            continue
        at = max(ends)
        if new_paragraph:
            stop = text.find("\n\n", at)
            return (len(text) if stop < 0 else stop), "\n\n"
        match = _END.search(text, at)
        stop = match.end() if match and "\n\n" not in text[at : match.end()] else _paragraph_end(text, at)
        return stop, separator
    if not text.strip():
        return 0, ""
    return len(text), "\n\n" if new_paragraph else separator


def _paragraph_end(text: str, at: int) -> int:
    stop = text.find("\n\n", at)
    return len(text) if stop < 0 else stop
