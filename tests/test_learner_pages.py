"""The learner's reading path: catalogue, course page, modules and progress."""
from sqlalchemy import select

from course.core.extensions import db
from quizzes.reading import ModuleRead
from tests.factories import make_user, sign_in


def test_catalogue_lists_courses(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sample Course on Depression Care" in page
    assert 'href="/courses/sample-course"' in page


def test_course_page_shows_overview_objectives_and_accreditation(client):
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Describe the first thing." in page and "Describe the second thing." in page
    assert "American Nurses Credentialing Center (ANCC)" in page
    assert "up to 1 AMA PRA Category 1 Credit™" in page
    assert "including 1 pharmacology hour(s)" in page
    assert "Alabama Board of Nursing (No. ABNP0000)" in page
    assert "Pass mark for each quiz</dt><dd>70%" in page
    assert "Nobody involved has relevant financial relationships." in page


def test_module_requires_sign_in(client):
    response = client.get("/courses/sample-course/modules/introduction")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_opening_modules_records_progress_once(client):
    user = make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    assert "0 of 3" in client.get("/courses/sample-course").get_data(as_text=True)
    client.get("/courses/sample-course/modules/introduction")
    client.get("/courses/sample-course/modules/introduction")
    client.get("/courses/sample-course/modules/first-objective")
    reads = db.session.scalars(select(ModuleRead.module_id).where(ModuleRead.user_id == user.id)).all()
    assert sorted(reads) == ["first-objective", "introduction"]
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "2 of 3" in page
    assert page.count("Module read") == 1 and page.count("Not started") == 1


def test_progress_is_per_learner(client):
    make_user(email="one@example.org")
    make_user(email="two@example.org")
    sign_in(client, "one@example.org")
    client.get("/courses/sample-course/modules/introduction")
    client.post("/sign-out", data={"csrf_token": _token(client)})
    sign_in(client, "two@example.org")
    assert "0 of 3" in client.get("/courses/sample-course").get_data(as_text=True)


def _token(client):
    from tests.factories import csrf_token
    return csrf_token(client, "/profile")


def test_module_navigation_previous_and_next(client):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    page = client.get("/courses/sample-course/modules/first-objective").get_data(as_text=True)
    assert 'rel="prev" href="/courses/sample-course/modules/introduction"' in page
    assert 'rel="next" href="/courses/sample-course/modules/second-objective"' in page
    last = client.get("/courses/sample-course/modules/second-objective").get_data(as_text=True)
    assert 'rel="next"' not in last and "Back to the course page" in last


def test_references_page_lists_every_reference(client):
    page = client.get("/courses/sample-course/references").get_data(as_text=True)
    assert 'id="ref-1"' in page and 'href="https://doi.org/10.1000/one"' in page
    assert 'href="https://example.org/two"' in page
