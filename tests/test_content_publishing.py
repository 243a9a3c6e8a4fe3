"""The last valid version survives a restart (stored snapshots); drafts are previewed, then published."""
import contextlib
import shutil

import pytest
from sqlalchemy import select

from course import create_app
from course.content.publishing import ContentPublication, folder_hash
from course.core.extensions import db
from course.core.operator import os_user
from tests.conftest import IsolatedRequestClient
from tests.factories import csrf_token, make_user, sign_in

TITLE = "Sample Course on Depression Care"
INTRODUCTION = "/courses/sample-course/modules/introduction"


@contextlib.contextmanager
def restarted(app_config):
    """A second app on the same database and content folder (what a worker started now would serve),
    in its app context; its pooled connections are closed at the end."""
    app = create_app(app_config)
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def break_course_yaml(content_dir) -> None:
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("title: Sample Course", "title: [Broken"))


# --- The last valid version across restarts ------------------------------------------------


def test_a_restart_while_a_file_is_broken_keeps_serving_the_stored_snapshot(client, app_config, content_dir):
    assert TITLE in client.get("/courses/sample-course").get_data(as_text=True)
    break_course_yaml(content_dir)

    with restarted(app_config) as app:
        learners = app.test_client()
        response = learners.get("/courses/sample-course")
        assert response.status_code == 200
        assert TITLE in response.get_data(as_text=True)
        assert TITLE in learners.get("/").get_data(as_text=True)
        assert learners.get(INTRODUCTION).status_code in (200, 302)

        instructor = make_user(email="ines@example.org", role="instructor")
        staff = app.test_client()
        sign_in(staff, instructor.email)
        page = staff.get("/instructor/content").get_data(as_text=True)
        assert "Files fail the check: learners still see the last valid version." in page
        assert "the stored snapshot of the version valid on" in page
        assert 'data-testid="serving-from">the stored snapshot (last valid version)' in page
        status = app.extensions["content"].catalogue().statuses["sample-course"]
        assert status.source == "snapshot" and status.stale and status.problems


def test_a_fixed_file_serves_from_the_files_again_after_a_snapshot(client, app_config, content_dir):
    client.get("/courses/sample-course")
    course_yaml = content_dir / "sample-course" / "course.yaml"
    good = course_yaml.read_text()
    break_course_yaml(content_dir)
    with restarted(app_config) as app:
        assert app.extensions["content"].catalogue().statuses["sample-course"].source == "snapshot"
        course_yaml.write_text(good.replace("title: Sample Course", "title: Fixed Sample Course"))
        status = app.extensions["content"].catalogue().statuses["sample-course"]
        assert (status.source, status.stale) == ("files", False)
        assert "Fixed Sample Course" in app.test_client().get("/courses/sample-course").get_data(as_text=True)


def test_a_course_never_valid_has_no_snapshot_to_serve(app_config, content_dir):
    break_course_yaml(content_dir)
    with restarted(app_config) as app:
        assert app.test_client().get("/courses/sample-course").status_code == 404
        assert app.extensions["content"].catalogue().statuses["sample-course"].live_version is None


# --- Drafts: preview, then publish ---------------------------------------------------------


@pytest.fixture
def draft(app, content_dir):
    """A draft folder beside the live one, with the introduction edited."""
    folder = content_dir.with_name("content-draft")
    assert str(folder) == app.config["CONTENT_DRAFT_DIR"]
    shutil.copytree(content_dir, folder)
    module = folder / "sample-course" / "modules" / "introduction.md"
    module.write_text(module.read_text().replace("Response means", "Draft wording says"))
    return folder


@pytest.fixture
def instructor(client):
    user = make_user(email="ines@example.org", name="Ines Instructor", role="instructor")
    sign_in(client, user.email)
    return user


def publications() -> list[ContentPublication]:
    db.session.expire_all()
    return list(db.session.scalars(select(ContentPublication).order_by(ContentPublication.id)))


def test_an_instructor_previews_the_draft_and_learners_do_not_see_it(client, draft, instructor):
    page = client.get("/instructor/draft").get_data(as_text=True)
    assert folder_hash(draft) in page
    assert "changed" in page and "Publish the draft" in page
    preview = client.get("/instructor/draft/courses/sample-course/modules/introduction").get_data(as_text=True)
    assert "Draft wording says" in preview and "Draft preview" in preview
    assert "Draft wording says" not in client.get("/instructor/courses/sample-course/modules/introduction").get_data(as_text=True)
    questions = client.get("/instructor/draft/courses/sample-course/questions")
    assert questions.status_code == 200 and "Correct answer" in questions.get_data(as_text=True)


def test_publishing_the_draft_makes_it_live_and_records_its_hash(client, content_dir, draft, instructor):
    expected_hash = folder_hash(draft)
    response = client.post("/instructor/draft/publish", data={"csrf_token": csrf_token(client, "/instructor/draft")})
    assert response.status_code == 303 and response.headers["Location"] == "/instructor/content"
    assert "Draft wording says" in client.get("/instructor/courses/sample-course/modules/introduction").get_data(as_text=True)
    assert folder_hash(content_dir) == expected_hash
    [publication] = publications()
    assert publication.content_hash == expected_hash
    assert publication.published_by == "Ines Instructor <ines@example.org>"
    live = client.application.extensions["content"].catalogue().courses["sample-course"]
    assert publication.courses == {"sample-course": live.version}
    status_page = client.get("/instructor/content").get_data(as_text=True)
    assert expected_hash in status_page and "Ines Instructor" in status_page
    assert "the draft is the same as the live content" in client.post(
        "/instructor/draft/publish", data={"csrf_token": csrf_token(client, "/instructor/draft")}, follow_redirects=True,
    ).get_data(as_text=True)
    assert len(publications()) == 1


def test_a_draft_that_fails_the_check_is_not_published(client, content_dir, draft, instructor):
    before = folder_hash(content_dir)
    break_course_yaml(draft)
    page = client.get("/instructor/draft").get_data(as_text=True)
    assert "The draft fails the check" in page and "Publish the draft" not in page
    response = client.post("/instructor/draft/publish", data={"csrf_token": csrf_token(client, "/instructor/draft")},
                           follow_redirects=True)
    assert "Not published: the draft has 1 error(s)" in response.get_data(as_text=True)
    assert folder_hash(content_dir) == before
    assert publications() == []


def test_a_file_removed_in_the_draft_is_removed_when_published(client, content_dir, draft, instructor):
    (draft / "sample-course" / "notes.txt").write_text("scratch")
    (content_dir / "sample-course" / "old-notes.txt").write_text("gone after publishing")
    client.post("/instructor/draft/publish", data={"csrf_token": csrf_token(client, "/instructor/draft")})
    assert not (content_dir / "sample-course" / "old-notes.txt").exists()
    assert (content_dir / "sample-course" / "notes.txt").read_text() == "scratch"
    assert folder_hash(content_dir) == folder_hash(draft)


def test_publish_from_the_command_line_records_the_operator(runner, content_dir, draft):
    checked = runner.invoke(args=["content", "check", "--draft"])
    assert checked.exit_code == 0 and "content-draft/sample-course/course.yaml" in checked.output
    assert checked.output.splitlines()[-1].startswith("Content OK")
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 0, result.output
    assert f"content hash {folder_hash(draft)}" in result.output
    [publication] = publications()
    assert publication.published_by.startswith(f"{os_user()}@") and publication.published_by.endswith("(command line)")
    assert folder_hash(content_dir) == folder_hash(draft)


def test_publish_from_the_command_line_refuses_a_broken_or_missing_draft(runner, app, content_dir):
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: Not published: there is no draft folder at {app.config['CONTENT_DRAFT_DIR']}."]
    shutil.copytree(content_dir, app.config["CONTENT_DRAFT_DIR"])
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 1 and "nothing to publish" in result.stderr
    break_course_yaml(content_dir.with_name("content-draft"))
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 1 and "the draft has 1 error(s)" in result.stderr
    assert publications() == []
