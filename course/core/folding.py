"""Text folded for searching: case-folded, compatibility-decomposed (NFKD), without combining marks.

`ÑÚÑEZ`, `Ñúñez` and `nunez` all fold to `nunez`; `Straße` folds to `strasse`. The same folding
is applied to what is stored and to what is searched for, so one plain LIKE finds it on any
database, whatever its collation.
"""
import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))
