"""A reply's new text told apart from the mail it quotes, its attribution line ("On …
wrote:"), the header block of Outlook-like clients and the signature, so that the chatter
shows the customer's words and folds the rest behind Odoo's own "Read More" toggle
(elements marked `data-o-mail-quote="1"`). Nothing is removed: folded parts stay in the
body, only marked.

The attribution lines and header blocks of English, French, Dutch, German and Spanish come
from mail-parser-reply (`mailparser_reply`, MIT); what it lacks (Russian, Apple Mail in
Dutch, Spanish attributions, Zimbra and Yahoo separators, "De:" without a space, header
blocks quoted with `>` in HTML, phone signatures, forwards) is completed below.
"""

import re
from html import escape
from itertools import islice

import lxml.html
from lxml import etree
from mailparser_reply.constants import MAIL_LANGUAGES

QUOTE_ATTRIBUTE = "data-o-mail-quote"
LANGUAGES = ("en", "fr", "nl", "de", "es")

ATTRIBUTIONS = [
    *(re.compile(MAIL_LANGUAGES[language]["wrote_header"]) for language in LANGUAGES),
    re.compile(r"^El\s.+\sescribi[óo]\s?:$"),
    re.compile(r"^Op\s.+\s(?:geschreven|schreef .+)\s?:$"),
    re.compile(r"^.+\s(?:написал|написала|написал\(а\)|пишет)\s?:$"),  # noqa: RUF001
    # Gmail on Android, Yandex and others: a date and a time, then the address, then ":".
    re.compile(
        r"^(?:[^\W\d]{2,4}\.?,\s*)?\d{1,4}[\s./-].*\d{1,2}:\d{2}.*<[^<>@\s]+@[^<>\s]+>\s?:$"
    ),
]
HEADER_BLOCKS = [
    *(re.compile(MAIL_LANGUAGES[language]["from_header"], re.IGNORECASE) for language in LANGUAGES),
    re.compile(r"^(?:[* ]*(?:De|Envoy[ée]|[ÀA]|Objet|Date|Cc)\s?:.*\n){2,}", re.IGNORECASE),
    re.compile(r"^(?:[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия)\s?:.*\n){2,}", re.IGNORECASE),
]
SEPARATORS = re.compile(
    r"^-{2,}\s?(?:original message|message d'origine|mail original|oorspronkelijk bericht"
    r"|oorspronkelijk e-mailbericht|urspr[üu]ngliche (?:nachricht|mail)|mensaje original"
    r"|исходное сообщение)\s?-{2,}$",
    re.IGNORECASE,
)
RULE = re.compile(r"^(?:_{10,}|-{10,})$")
QUOTE_MARKS = re.compile(r"^(?:>\s?)+")  # "> ", ">>", "> > " at the start of a line
FORWARDS = re.compile(
    r"^(?:-{2,}\s?(?:forwarded message|message transf[ée]r[ée]|doorgestuurd bericht"
    r"|weitergeleitete nachricht|mensaje reenviado|пересылаемое сообщение)\s?-{2,}"
    r"|(?:begin forwarded message|d[ée]but du message r[ée]exp[ée]di[ée]|begin doorgestuurd bericht"
    r"|anfang der weitergeleiteten (?:nachricht|e-mail)|inicio del mensaje reenviado"
    r"|начало переадресованного сообщения)\s?:)$",
    re.IGNORECASE,
)
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|wg|rv|doorst|пересл)\s?:", re.IGNORECASE)
SIGNATURES = re.compile(
    r"^(?:--$|"
    + "|".join(
        f"(?:{MAIL_LANGUAGES[language]['sent_from']})"
        for language in LANGUAGES
        if MAIL_LANGUAGES[language].get("sent_from")
    )
    + r"|sent with sparrow|sent from yahoo mail|envoy[ée] de mon|verstuurd vanaf mijn"
    r"|von meinem .{2,20} gesendet|отправлено с|отправлено из)",  # noqa: RUF001
    re.IGNORECASE,
)
LOOKAHEAD = 6  # lines read to recognise a header block
SIGNATURE_WORDS = 7  # "Sent from my Samsung Galaxy smartphone" and the like
MAX_ATTRIBUTION = 400  # longer lines are the writer's text (and would be slow to match)


class Kind:
    ATTRIBUTION = "attribution"
    HEADERS = "headers"  # an Outlook-like header block, or a separator above one
    SIGNATURE = "signature"
    FORWARD = "forward"


def is_forward_subject(subject):
    return bool(FORWARD_SUBJECT.match(subject or ""))


def classify(lines):
    """What the upcoming non-blank `lines` start with: (kind, number of lines it takes),
    or None for the writer's own text."""
    first = lines[0]
    if FORWARDS.match(first):
        return Kind.FORWARD, 1
    if SEPARATORS.match(first):
        return Kind.HEADERS, 1
    if SIGNATURES.match(first) and (first == "--" or _is_short_line(first)):
        return Kind.SIGNATURE, 1
    count = _attribution_length(lines)
    if count:
        return Kind.ATTRIBUTION, count
    if _starts_header_block(lines):
        return Kind.HEADERS, 1
    if RULE.match(first) and len(lines) > 1 and _starts_header_block(lines[1:]):
        return Kind.HEADERS, 1
    return None


def _attribution_length(lines):
    """How many of `lines` the attribution line they start with takes: 1, or 2 when it
    wraps ("On …, Alice <" / "alice@x> wrote:"); 0 when they start with the writer's text."""
    first = lines[0]
    if _is_attribution(first):
        return 1
    if len(lines) < 2 or first.endswith((".", "!", "?")):
        return 0  # a sentence of the writer's, not the first half of a wrapped line
    # Gmail wraps "Alice <alice@x>" after the "<", where the line had no space.
    joined = first + ("" if first.endswith("<") else " ") + lines[1]
    if not _is_attribution(joined):
        return 0
    # The second line may be a whole attribution, which the writer's last line joined to
    # it reads as too: "… написал:" and the date-first form take any words before them,
    # "On … wrote:" a writer's "On it". Only an address left open ends a first half.
    address_left_open = first.rfind("<") > first.rfind(">")
    return 2 if address_left_open or not _is_attribution(lines[1]) else 0


def _is_attribution(line):
    # Every attribution ends with a colon: the patterns, slow on long lines, are tried on
    # the few lines that do.
    return (
        line.endswith(":")
        and len(line) <= MAX_ATTRIBUTION
        and any(pattern.match(line) for pattern in ATTRIBUTIONS)
    )


def _starts_header_block(lines):
    """Whether `lines` start with a header block, its `>` quote marks left aside: Hotmail's
    HTML quotes the header block with `>` like the rest of the mail it quotes."""
    block = "\n".join(QUOTE_MARKS.sub("", line) for line in lines[:LOOKAHEAD]) + "\n"
    return any(pattern.match(block) for pattern in HEADER_BLOCKS)


def _is_short_line(line):
    """True for a signature line like "Sent from my iPhone", false for a sentence like
    "Sent from my office in Lyon, the order follows."""
    return len(line.split()) <= SIGNATURE_WORDS and not line.endswith((".", "!", "?"))


def _clean(line):
    return " ".join(line.replace("\xa0", " ").split())


# The quote finder ------------------------------------------------------------------------


class _QuoteFinder:
    """The one state machine that finds what a reply quotes, in plain text and in HTML
    alike. It reads units in order (a plain-text line, an HTML item): a quote is folded; an
    attribution line is folded with the quote right after it and the text below them
    stays in view (bottom posting); a header block, a signature, or an attribution that no
    quote follows folds all the rest; a forward stops it, nothing folded. Each text form
    says what its units are and how one is folded."""

    def __init__(self, length):
        self.length = length
        self.forward = False
        self.rest_from = None  # where the fold of all the rest begins, if there is one

    def lines_of(self, index):
        """The unit's own lines of text, cleaned; none when it is blank."""
        raise NotImplementedError

    def lines_ahead(self, index):
        """The unit's lines as reading ahead from an earlier unit sees them."""
        return self.lines_of(index)

    def is_blank(self, index):
        return not self.lines_of(index)

    def starts_quote(self, index):
        raise NotImplementedError

    def quote_follows(self, index):
        """Whether the unit is a quote that an attribution line above introduces."""
        return self.starts_quote(index)

    def quote_end(self, index):
        """The unit after the quote that starts at `index`."""
        return index + 1

    def fold_start(self, index):
        """Where a fold that starts at `index` starts, with what goes with it above."""
        return index

    def nested(self, index):
        """For a unit that holds units of its own, searched on their own: the unit to read
        next. None for any other unit."""
        raise NotImplementedError

    def fold(self, start, end):
        raise NotImplementedError

    def scan(self):
        """Folds the quoted units; returns `rest_from`."""
        index = 0
        while index < self.length:
            index = self._step(index)
        return self.rest_from

    def _step(self, index):
        """Reads on from the unit at `index`; returns the unit to read next."""
        if self.starts_quote(index):
            return self._fold(index, self.quote_end(index))
        after = self.nested(index)
        if after is not None:
            return after
        found = self.lines_of(index) and classify(self._upcoming(index))
        if not found:
            return index + 1
        kind, count = found
        if kind == Kind.FORWARD:
            self.forward = True
            return self.length
        if kind == Kind.ATTRIBUTION:
            after = self.fold_attribution(index, self._lines_end(index, count))
            if after is not None:
                return after
        return self.fold_rest(index)

    def _upcoming(self, index):
        ahead = (line for unit in range(index, self.length) for line in self.lines_ahead(unit))
        return list(islice(ahead, LOOKAHEAD + 1))

    def _lines_end(self, index, count):
        """The unit after the `count` lines of text that start at `index`."""
        end, taken = index, 0
        while end < self.length and taken < count:
            taken += len(self.lines_of(end))
            end += 1
        return end

    def fold_attribution(self, index, end):
        """An attribution line (units index to end) and the quote right after it are
        folded together; returns the unit after the quote, or None when no quote
        follows."""
        following = end
        while following < self.length and self.is_blank(following):
            following += 1
        if following == self.length or not self.quote_follows(following):
            return None
        return self._fold(self.fold_start(index), self.quote_end(following))

    def fold_rest(self, index):
        self.rest_from = self.fold_start(index)
        return self._fold(self.rest_from, self.length)

    def _fold(self, start, end):
        self.fold(start, end)
        return end


# Plain text ----------------------------------------------------------------------------

URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
    re.IGNORECASE,
)


def _linked(text):
    """Escaped text with its web addresses and mail addresses made links."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(escape(text[last : match.start()], quote=False))
        target = match.group()
        if "@" in target and "://" not in target:
            href = f"mailto:{target}"
        elif target.lower().startswith("www."):
            href = f"https://{target}"
        else:
            href = target
        out.append(f'<a href="{escape(href)}" target="_blank">{escape(target, quote=False)}</a>')
        last = match.end()
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def _quote_depth(line):
    match = QUOTE_MARKS.match(line)
    return match.group().count(">") if match else 0


def _unquote(line):
    return re.sub(r"^>\s?", "", line)


def _paragraphs(lines):
    """Readable HTML of plain-text lines: paragraphs at blank lines, `>` runs as quotes."""
    html, paragraph, index = [], [], 0

    def close():
        if paragraph:
            html.append("<p>{}</p>".format("<br>".join(map(_linked, paragraph))))
            paragraph.clear()

    while index < len(lines):
        line = lines[index].rstrip()
        if _quote_depth(line):
            close()
            end = index
            while end < len(lines) and _quote_depth(lines[end]):
                end += 1
            inner = [_unquote(quoted) for quoted in lines[index:end]]
            html.append(f"<blockquote>{_paragraphs(inner)}</blockquote>")
            index = end
            continue
        if line.strip():
            paragraph.append(line.strip())
        else:
            close()
        index += 1
    close()
    return "".join(html)


def _folded(html):
    return f'<div {QUOTE_ATTRIBUTE}="1">{html}</div>'


def unflow(text):
    """RFC 3676 format=flowed: a line ending in a space goes on in the next one, at the
    same quote depth; the signature line "-- " stays a line of its own."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if lines and lines[-1].endswith(" ") and _clean(lines[-1]) != "--":
            previous = lines[-1]
            if _quote_depth(previous) == _quote_depth(line):
                lines[-1] = previous + QUOTE_MARKS.sub("", line)
                continue
        lines.append(line)
    return "\n".join(lines)


class _PlainTextQuotes(_QuoteFinder):
    """The lines of a plain-text reply, for the quote finder: a quote is a run of lines
    that start with `>`, blank lines included. Folding splits them into segments."""

    def __init__(self, lines):
        super().__init__(len(lines))
        self.lines = lines
        self.segments = []
        self.visible_from = 0

    def lines_of(self, index):
        line = self.lines[index]
        return [_clean(line)] if line.strip() else []

    def starts_quote(self, index):
        return bool(_quote_depth(self.lines[index]))

    def quote_end(self, index):
        end = index
        while end < self.length and (self.starts_quote(end) or self.is_blank(end)):
            end += 1
        return end

    def nested(self, index):
        return None  # a line holds no lines of its own

    def fold(self, start, end):
        if start > self.visible_from:
            self.segments.append((False, self.lines[self.visible_from : start]))
        self.segments.append((True, self.lines[start:end]))
        self.visible_from = end


def plain_text_segments(text, subject=""):
    """The lines of a plain-text reply as [(folded, lines)], in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if is_forward_subject(subject):
        return [(False, lines)]
    finder = _PlainTextQuotes(lines)
    finder.scan()
    if finder.visible_from < len(lines):
        finder.segments.append((False, lines[finder.visible_from :]))
    return finder.segments


def plain_text_to_html(text, subject=""):
    """HTML of a plain-text reply: the new text in paragraphs with links, the attribution,
    quotes and signature folded."""
    html = []
    for folded, lines in plain_text_segments(text, subject):
        rendered = _paragraphs(lines)
        if rendered:
            html.append(_folded(rendered) if folded else rendered)
    return "".join(html)


# HTML ----------------------------------------------------------------------------------

BLOCKS = frozenset(
    (
        *("address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt"),
        *("figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr"),
        *("li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td"),
        *("tfoot", "th", "thead", "tr", "ul"),
    )
)


MEDIA = frozenset(("img", "video", "audio", "object", "embed", "iframe", "svg"))


def _is_block(element):
    return isinstance(element.tag, str) and element.tag in BLOCKS


def _text(element):
    """An element's text with its line breaks: <br> and block edges end a line."""
    if not isinstance(element.tag, str):
        return element.tail or ""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "br":
            parts.append("\n")
        elif _is_block(child):
            parts.append("\n" + _text(child) + "\n")
        elif isinstance(child.tag, str):
            parts.append(_text(child))
        parts.append(child.tail or "")  # a comment's tail too
    return "".join(parts)


def _lines(text):
    return [line for line in (_clean(line) for line in text.split("\n")) if line]


def _is_quote(element):
    return element.tag == "blockquote" or element.get(QUOTE_ATTRIBUTE) == "1"


def _has_blocks(element):
    return any(_is_block(child) for child in element.iterdescendants())


class _Item:
    """One line of a parent's content: a block element of one line, or the inline
    elements up to a <br>; or a block of several lines, to walk into."""

    def __init__(self, elements, block=None):
        self.elements = elements
        self.block = block
        self.lines = [] if block is not None else _lines("".join(map(_text, elements)))

    @property
    def blank(self):
        return not any(
            _lines(_text(element)) or element.tag in MEDIA or element.find(".//img") is not None
            for element in self.elements
        )


def _wrap_texts(parent):
    """Put the parent's bare text pieces in spans, so that every piece can be marked."""
    if parent.text and parent.text.strip():
        span = etree.Element("span")
        span.text, parent.text = parent.text, None
        parent.insert(0, span)
    for child in list(parent):
        if child.tail and child.tail.strip():
            span = etree.Element("span")
            span.text, child.tail = child.tail, None
            child.addnext(span)


def _items(parent):
    items, run = [], []
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        if _is_block(child) or _has_blocks(child):
            if run:
                items.append(_Item(run))
                run = []
            several_lines = _has_blocks(child) or child.find(".//br") is not None
            items.append(_Item([child], child if several_lines else None))
        else:
            run.append(child)
            if child.tag == "br":
                items.append(_Item(run))
                run = []
    if run:
        items.append(_Item(run))
    return items


class _HtmlQuotes(_QuoteFinder):
    """The items of an HTML element, for the quote finder: a quote is a <blockquote>, a
    block of several lines is searched on its own, and folding marks the elements."""

    def __init__(self, parent):
        _wrap_texts(parent)
        self.items = _items(parent)
        super().__init__(len(self.items))
        self.folded = False

    def lines_of(self, index):
        return self.items[index].lines

    def lines_ahead(self, index):
        item = self.items[index]
        return item.lines if item.block is None else _lines(_text(item.block))

    def is_blank(self, index):
        return self.items[index].blank

    def starts_quote(self, index):
        return self.items[index].elements[0].tag == "blockquote"

    def quote_follows(self, index):
        return _is_quote(self.items[index].elements[0])

    def fold_start(self, index):
        """A rule or an empty line just above a folded part goes with it (Outlook's <hr>)."""
        while index > 0 and self.items[index - 1].blank:
            index -= 1
        return index

    def fold(self, start, end):
        for item in self.items[start:end]:
            for element in item.elements:
                element.set(QUOTE_ATTRIBUTE, "1")
        self.folded = True

    def nested(self, index):
        block = self.items[index].block
        if block is None:
            return None
        own = _lines(_text(block))
        found = own and classify(own)
        if found and found[0] == Kind.ATTRIBUTION and found[1] >= len(own):
            # A block holding just the attribution line (Thunderbird's, Gmail's)
            after = self.fold_attribution(index, index + 1)
            return self.fold_rest(index) if after is None else after
        return self._after_block(index, _HtmlQuotes(block))

    def _after_block(self, index, inner):
        """Searches the block at `index` on its own (`inner`); returns the unit to read
        next, past all the rest when the block's fold goes on after it."""
        inner_rest_from = inner.scan()
        self.folded |= inner.folded
        if inner.forward:
            self.forward = True
            return self.length
        if inner_rest_from == 0:  # the block is quoted whole: the rest from it on
            return self.fold_rest(index)
        if inner_rest_from is not None:  # the block's fold goes on after it
            self.rest_from = index + 1
            return self._fold(index + 1, self.length)
        return index + 1


def fold_html(html, subject=""):
    """The HTML body with its quoted parts marked for folding; `html` itself when there is
    nothing to fold or the mail is a forward."""
    if not html or not html.strip() or is_forward_subject(subject):
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html  # nothing an HTML parser can read: posted as Odoo parsed it
    finder = _HtmlQuotes(root)
    finder.scan()
    if finder.forward or not finder.folded:
        return html
    return (root.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root
    )


def visible_part(html):
    """The HTML without its folded parts: what a reader sees before "Read More"."""
    if not html or QUOTE_ATTRIBUTE not in html:
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    for element in list(root.iterdescendants()):
        if element.get(QUOTE_ATTRIBUTE) == "1" and element.getparent() is not None:
            element.drop_tree()
    return (root.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root
    )


def text_only_body(message):
    """The text of a mail whose only body is plain text (unflowed), else None."""
    bodies = [
        part
        for part in message.walk()
        if part.get_content_maintype() == "text" and not part.is_attachment()
    ]
    if len(bodies) != 1 or bodies[0].get_content_type() != "text/plain":
        return None
    try:
        text = bodies[0].get_content()
    except (LookupError, UnicodeError):
        return None
    if (bodies[0].get_param("format") or "").lower() == "flowed":
        text = unflow(text)
    return text


def readable_body(message, body, subject=""):
    """The body to post for a reply: a plain-text mail rewritten as HTML paragraphs, an
    HTML one as it is, both with their quoted parts marked for folding."""
    text = text_only_body(message)
    if text is not None:
        return plain_text_to_html(text, subject)
    return fold_html(body, subject)
