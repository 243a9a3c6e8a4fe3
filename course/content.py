"""Access to the live content catalogue from inside a request or app context."""
from flask import abort, current_app, render_template
from markupsafe import Markup

from .catalogue import Catalogue, Course, Module

# Rendered content fragments kept per worker; more than a few content versions' worth is dropped.
FRAGMENTS_KEPT = 256


def catalogue() -> Catalogue:
    return current_app.extensions["content"].catalogue()


def get_course_or_404(slug: str) -> Course:
    course = catalogue().courses.get(slug)
    if course is None:
        abort(404)
    return course


def content_fragment(template: str, course: Course, part: str = "", **context) -> Markup:
    """A piece of a page that depends only on the course's content, rendered once per content version.

    It is the same for every reader (the version is a hash of the course's files and the
    provider's), so a page renders only what is personal around it. `part` tells apart
    pieces rendered from one template (a module id, say); `context` must follow from the
    course and `part` alone.
    """
    fragments = current_app.extensions.setdefault("content_fragments", {})
    key = (template, course.slug, course.version, part)
    fragment = fragments.get(key)
    if fragment is None:
        if len(fragments) >= FRAGMENTS_KEPT:
            fragments.clear()
        fragment = fragments[key] = Markup(render_template(template, course=course, **context))
    return fragment


def module_article(course: Course, module: Module) -> Markup:
    """The module's article and the references it cites, as HTML."""
    return content_fragment(
        "course/_module_article.html", course, module.id, module=module, references=course.references_for(module.cited)
    )
