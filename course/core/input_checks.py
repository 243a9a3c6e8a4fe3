"""What a request body may be: the form encodings browsers send, with files only where a view takes them.

Forms read their fields from whatever body arrives; a JSON body (with a visitor's own CSRF token in
a header) would hand them numbers, lists and objects where they expect text, and a file part would
hand them a file. Both are refused before any view runs.
"""
from flask import Flask, abort, current_app, request

FORM_ENCODINGS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def accepts_files(*fields: str):
    """Mark a view as taking uploaded files in these form fields (and only these)."""
    def mark(view):
        view.file_fields = frozenset(fields)
        return view
    return mark


def _refuse_other_bodies() -> None:
    if request.method not in BODY_METHODS:
        return
    if request.mimetype and request.mimetype not in FORM_ENCODINGS:
        abort(415)
    if not request.mimetype and request.content_length:
        abort(415)
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, "file_fields", frozenset())
    unexpected = sorted(set(request.files) - allowed)
    if unexpected:
        abort(400, f"A file was sent where text was expected ({', '.join(unexpected)}). Please use the form on the page.")


def init_app(app: Flask) -> None:
    app.before_request(_refuse_other_bodies)
