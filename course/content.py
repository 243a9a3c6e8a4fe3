"""Access to the live content catalogue from inside a request or app context."""
from flask import abort, current_app

from .catalogue import Catalogue, Course


def catalogue() -> Catalogue:
    return current_app.extensions["content"].catalogue()


def get_course_or_404(slug: str) -> Course:
    course = catalogue().courses.get(slug)
    if course is None:
        abort(404)
    return course
