"""JSON-LD processing with contexts bundled in this package: nothing is ever fetched.

The official context hosts have been unreachable before, and a verifier that depends on them
is one outage away from calling every credential invalid; so the document loader answers from
`contexts/` (see contexts/README.md for where each file comes from) and raises for any other
URL, and canonicalisation (RDFC-1.0, pyld's URDNA2015) goes through it.
"""
import json
from functools import cache
from pathlib import Path

from pyld import jsonld
from pyld.jsonld import JsonLdError

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_FILES = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
}


class NetworkFetchRefused(JsonLdError):
    """A JSON-LD document was asked for that is not bundled; no network request is made."""

    def __init__(self, url: str):
        super().__init__(f"Refusing to fetch {url}: only the bundled contexts are used.", "jsonld.LoadDocumentError",
                         {"url": url}, code="loading document failed")
        self.url = url


@cache
def _bundled(filename: str) -> dict:
    return json.loads((CONTEXT_DIR / filename).read_text(encoding="utf-8"))


def document_loader(extra: dict[str, dict] | None = None):
    """A pyld document loader over the bundled contexts (plus `extra`, url -> document, for tests)."""
    def load(url: str, options=None) -> dict:
        if extra and url in extra:
            document = extra[url]
        elif url in CONTEXT_FILES:
            document = _bundled(CONTEXT_FILES[url])
        else:
            raise NetworkFetchRefused(url)
        return {"contextUrl": None, "documentUrl": url, "document": document}
    return load


def canonize(document: dict, loader=None) -> str:
    """The document's canonical N-Quads (RDFC-1.0), expanded with the bundled contexts only.

    Raises NetworkFetchRefused when the document names a context that is not bundled (pyld wraps
    the loader's error in its own; the refusal is brought back out so callers can name the URL).
    """
    try:
        return jsonld.normalize(document, {
            "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader or document_loader(),
        })
    except JsonLdError as error:
        cause = error
        while cause is not None and not isinstance(cause, NetworkFetchRefused):
            cause = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from error
        raise
