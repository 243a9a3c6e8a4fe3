"""The learner's reading path: catalogue, course page, modules and progress."""
from datetime import UTC, datetime

from sqlalchemy import select

from course.core.extensions import db
from quizzes.reading import ModuleRead
from tests.factories import make_user, sign_in


def test_catalogue_lists_courses(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sample Course on Depression Care" in page
    assert 'href="/courses/sample-course"' in page


def test_course_page_shows_overview_objectives_and_accreditation(client):
    client.application.config["CLOCK"] = lambda: datetime(2025, 7, 29, 12, tzinfo=UTC)
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Describe the first thing." in page and "Describe the second thing." in page
    assert "American Nurses Credentialing Center (ANCC)" in page
    assert "Up to 1 AMA PRA Category 1 Credit™" in page
    assert "including 1 pharmacology hour(s)" in page
    assert "Alabama Board of Nursing (No. ABNP0000)" in page
    assert "Pass mark for each quiz</dt><dd>70%" in page
    assert "Nobody involved has relevant financial relationships." in page


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start:page.index("</table>" if "table" in page[start - 30:start] else "</div>", start)]


def test_course_page_advertises_only_approvals_valid_today(client):
    """Alabama's approval ends 2025-07-29 and Kentucky's 2025-12-31: after that the page no longer lists them."""
    client.application.config["CLOCK"] = lambda: datetime(2025, 12, 31, 12, tzinfo=UTC)
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Alabama Board of Nursing" not in page
    assert "Kentucky Board of Nursing" in section(page, "state-approvals")
    client.application.config["CLOCK"] = lambda: datetime(2026, 1, 1, 12, tzinfo=UTC)
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Alabama Board of Nursing" not in page and "Kentucky Board of Nursing" not in page
    assert "Florida Board of Nursing" in section(page, "state-approvals")


def test_a_learner_whose_state_approval_ended_is_told_why(client):
    client.application.config["CLOCK"] = lambda: datetime(2026, 1, 1, 12, tzinfo=UTC)
    make_user(email="al@example.org", profession="nurse", licences=[("AL", "RN", "1-234567"), ("KY", "RN", "K1")])
    sign_in(client, "al@example.org")
    notice = section(client.get("/courses/sample-course").get_data(as_text=True), "ended-approvals")
    assert "The Alabama Board of Nursing approval of the provider ended on July 29, 2025" in notice
    assert "The Kentucky Board of Nursing approval of the provider ended on December 31, 2025" in notice
    assert "not offered for a completion on January 1, 2026" in notice


def test_course_page_prints_the_prescribed_statements_before_the_course_starts(client):
    """The approvals' statements (with APA's co-sponsorship, named in accreditation_statements) and each
    designation's statement as course.yaml gives it, on the page a learner sees before starting."""
    client.application.config["CLOCK"] = lambda: datetime(2025, 8, 1, 12, tzinfo=UTC)
    page = client.get("/courses/sample-course").get_data(as_text=True)
    accreditation = section(page, "accreditation-statements")
    assert "<p>The provider is accredited by the ACCME to provide CME for physicians.</p>" in accreditation
    assert "Offered through co-sponsorship with the APA Office of CEP; no credit is designated." in accreditation
    assert accreditation.count("The provider is accredited by the ANCC.") == 1
    assert "Alabama" not in accreditation  # ended on July 29, 2025
    designation = section(page, "designation-statements")
    assert ("<p>The provider designates this enduring material for a maximum of 1 AMA PRA Category 1 Credit(s)™.</p>"
            in designation)
    assert page.index('data-testid="accreditation-statements"') < page.index('data-testid="credit-table"')


def test_course_page_marks_inferred_amounts_and_lists_professions_in_a_fixed_order(client):
    client.application.config["CLOCK"] = lambda: datetime(2025, 8, 1, 12, tzinfo=UTC)
    table = section(client.get("/courses/sample-course").get_data(as_text=True), "credit-table")
    row = table[table.index("State Board for Social Work"):]
    row = row[:row.index("</tr>")]
    assert "amount not stated by the accreditor: to be confirmed by the provider" in row
    assert ("Physician, Physician assistant, Nurse, Psychologist, Social worker, Counselor, "
            "Marriage and family therapist, Other") in table


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
