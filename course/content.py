"""Access to the live content catalogue from inside a request or app context."""
from flask import abort, current_app, render_template
from markupsafe import Markup

from .catalogue import Catalogue, Course, Module

# Rendered module articles kept per worker; more than a few content versions' worth is dropped.
MODULE_ARTICLES_KEPT = 256


def catalogue() -> Catalogue:
    return current_app.extensions["content"].catalogue()


def get_course_or_404(slug: str) -> Course:
    course = catalogue().courses.get(slug)
    if course is None:
        abort(404)
    return course


def module_article(course: Course, module: Module) -> Markup:
    """The module's article and the references it cites, as HTML.

    It is the same for every reader of one content version, so it is rendered once per
    version (the version is a hash of the content) and a module page renders only what is
    around it.
    """
    articles = current_app.extensions.setdefault("module_articles", {})
    key = (course.slug, course.version, module.id)
    article = articles.get(key)
    if article is None:
        if len(articles) >= MODULE_ARTICLES_KEPT:
            articles.clear()
        article = articles[key] = Markup(render_template(
            "course/_module_article.html", module=module, references=course.references_for(module.cited)
        ))
    return article
