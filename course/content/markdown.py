"""The one Markdown renderer for all content: Python-Markdown, then an allowlist sanitiser.

Extras on top of standard Markdown:
- pipe tables and footnotes;
- citations: `[12]`, `[4,5,6]` or `[4-6]` become links to `#ref-N` (the reference list that
  every page showing content lists below it);
- evidence-based practice callouts, written as

      :::evidence source="VA/DoD" strength="Weak for"
      The recommendation, in Markdown.
      :::
"""
import html
import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

# A bracketed list of reference numbers, not followed by "(" or "[" (those are Markdown links).
# Link definitions ("[1]: https://...") are taken out by Markdown before inline patterns run.
CITATION_RE = r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\](?![(\[])"
LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:")
EVIDENCE_OPEN = re.compile(r"^:::evidence(?P<attrs>(?:\s+[a-z]+=\"[^\"]*\")*)\s*$")
EVIDENCE_ATTR = re.compile(r'([a-z]+)="([^"]*)"')
EVIDENCE_CLOSE = ":::"

ALLOWED_TAGS = {
    "a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "dd", "div", "dl",
    "dt", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "section",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "th": {"align", "scope", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "aside": {"aria-label"},
}


def cited_numbers(text: str) -> list[int]:
    """Every reference number cited in `text`, ranges expanded, in order of appearance."""
    numbers = []
    for line in text.splitlines():
        if not LINK_DEFINITION.match(line):
            for match in re.finditer(CITATION_RE, line):
                numbers.extend(expand_citation(match.group(1)))
    return numbers


def expand_citation(spec: str) -> list[int]:
    numbers = []
    for part in re.split(r"\s*,\s*", spec.strip()):
        bounds = re.split(r"\s*[\u2013-]\s*", part)
        if len(bounds) == 2 and int(bounds[0]) <= int(bounds[1]):
            numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            numbers.extend(int(b) for b in bounds)
    return numbers


class CitationProcessor(InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API)
        element = etree.Element("span", {"class": "citation"})
        element.text = "["
        numbers = expand_citation(m.group(1))
        for index, number in enumerate(numbers):
            link = etree.SubElement(element, "a", {"href": f"#ref-{number}", "title": f"Reference {number}"})
            link.text = str(number)
            link.tail = "," if index < len(numbers) - 1 else "]"
        return element, m.start(0), m.end(0)


class EvidencePreprocessor(Preprocessor):
    """Turns each :::evidence block into a stashed <aside>; its body is rendered as Markdown."""

    def run(self, lines):
        output, index = [], 0
        while index < len(lines):
            opening = EVIDENCE_OPEN.match(lines[index])
            close = _find_close(lines, index + 1) if opening else None
            if close is None:
                output.append(lines[index])
                index += 1
                continue
            attrs = dict(EVIDENCE_ATTR.findall(opening.group("attrs")))
            body = "\n".join(lines[index + 1:close])
            output.extend(["", self.md.htmlStash.store(_evidence_html(attrs, body)), ""])
            index = close + 1
        return output


def _find_close(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip() == EVIDENCE_CLOSE:
            return index
    return None


def _evidence_html(attrs: dict[str, str], body: str) -> str:
    source = html.escape(attrs.get("source", ""))
    strength = html.escape(attrs.get("strength", ""))
    return (
        '<aside class="evidence" aria-label="Evidence-based practice recommendation">'
        '<p class="evidence-title">Evidence-based practice recommendation</p>'
        f"{_markdown(body)}"
        f'<p class="evidence-source"><span>Source:</span> {source}</p>'
        f'<p class="evidence-strength"><span>Strength of recommendation:</span> {strength}</p>'
        "</aside>"
    )


class ContentExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        md.preprocessors.register(EvidencePreprocessor(md), "evidence", 28)
        md.inlinePatterns.register(CitationProcessor(CITATION_RE, md), "citation", 175)


def _markdown(text: str) -> str:
    # A Markdown instance keeps state between calls and is not thread-safe: one per call.
    return markdown.markdown(
        text,
        extensions=["tables", "footnotes", "sane_lists", ContentExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def render_markdown(text: str) -> str:
    """Render content Markdown to HTML that is safe to put in a page as it is."""
    return nh3.clean(
        _markdown(text),
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
    )
