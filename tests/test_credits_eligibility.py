"""Which credit is offered to whom: the eligibility matrix, on both sides of approval end dates."""
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from course.content.loader import load_catalogue
from credits.eligibility import (
    MISSING_BIRTH_DATE, MISSING_BOARD_ID, MISSING_CME_CLAIM, MISSING_CONSENT, Learner, LicenceFact, offered_credit,
)
from tests.factories import FIXTURE_CONTENT
from tests.factories import complete_course, make_user, sign_in, submit_evaluation

ALL_PROFESSIONS_CREDIT = {"ipce"}

LICENCE_TYPE = {"nurse": "RN", "physician": "MD", "social_worker": "LCSW", "counselor": "LMHC", "mft": "LMFT",
                "psychologist": "PSY", "physician_assistant": "PA", "other": "OTHER", None: None}


def licensed(profession, states, **fields) -> Learner:
    """A learner holding a licence of their profession's usual type in each of `states`."""
    licences = tuple(LicenceFact(state, LICENCE_TYPE[profession], f"{state}-1234") for state in states)
    return Learner(profession=profession, licence_states=frozenset(states), licences=licences, **fields)


# (profession, licence states, completion date, approval ids offered)
MATRIX = [
    ("physician", (), date(2025, 7, 29), {"ama-pra", "moc-abim", "ipce"}),
    ("physician", ("AL", "KY"), date(2025, 7, 29), {"ama-pra", "moc-abim", "ipce"}),
    ("nurse", (), date(2025, 7, 29), {"ancc", "ipce"}),
    ("nurse", ("NY",), date(2025, 7, 29), {"ancc", "ipce"}),
    ("nurse", ("FL",), date(2025, 7, 29), {"ancc", "nursing-fl", "ipce"}),
    # Alabama's approval ends 2025-07-29 (inclusive).
    ("nurse", ("AL",), date(2025, 7, 29), {"ancc", "nursing-al", "ipce"}),
    ("nurse", ("AL",), date(2025, 7, 30), {"ancc", "ipce"}),
    # Kentucky's approval ends 2025-12-31 (inclusive).
    ("nurse", ("KY",), date(2025, 12, 31), {"ancc", "nursing-ky", "ipce"}),
    ("nurse", ("KY",), date(2026, 1, 1), {"ancc", "ipce"}),
    ("nurse", ("AL", "KY"), date(2025, 7, 29), {"ancc", "nursing-al", "nursing-ky", "ipce"}),
    ("nurse", ("AL", "KY"), date(2025, 7, 30), {"ancc", "nursing-ky", "ipce"}),
    ("nurse", ("AL", "KY"), date(2025, 12, 31), {"ancc", "nursing-ky", "ipce"}),
    ("nurse", ("AL", "KY"), date(2026, 1, 1), {"ancc", "ipce"}),
    ("social_worker", ("NY",), date(2025, 7, 29), {"ny-social-work", "ipce"}),
    ("social_worker", ("CA",), date(2025, 7, 29), {"ipce"}),
    ("social_worker", (), date(2025, 7, 29), {"ipce"}),
    ("counselor", (), date(2025, 7, 29), {"nbcc", "ipce"}),
    ("counselor", ("NY",), date(2025, 7, 29), {"nbcc", "ipce"}),
    # APA co-sponsorship is stated but the course designates no psychology credit.
    ("psychologist", ("NY",), date(2025, 7, 29), {"ipce"}),
    ("mft", ("NY",), date(2025, 7, 29), {"ipce"}),
    ("physician_assistant", ("AL",), date(2025, 7, 29), {"ipce"}),
    ("other", (), date(2025, 7, 29), {"ipce"}),
    (None, ("AL",), date(2025, 7, 29), set()),
    # Outside the course's release (2025-07-01) and expiry (2028-06-30) dates nothing is offered.
    ("nurse", ("AL",), date(2025, 6, 30), set()),
    ("physician", (), date(2028, 6, 30), {"ama-pra", "moc-abim", "ipce"}),
    ("physician", (), date(2028, 7, 1), set()),
]


@pytest.fixture(scope="module")
def fixture_catalogue():
    catalogue = load_catalogue(FIXTURE_CONTENT)
    assert catalogue.problems == ()
    return catalogue


@pytest.mark.parametrize(("profession", "states", "completed_on", "expected"), MATRIX)
def test_eligibility_matrix(fixture_catalogue, profession, states, completed_on, expected):
    course = fixture_catalogue.courses["sample-course"]
    learner = licensed(profession, states)
    offers = offered_credit(course, fixture_catalogue.provider, learner, completed_on)
    assert {offer.approval_id for offer in offers} == expected
    # Course order is kept, and no offer rests on an approval that had ended.
    designated = [d.approval_id for d in course.designations]
    assert [o.approval_id for o in offers] == [a for a in designated if a in expected]
    assert all(o.approval.valid_on(completed_on) for o in offers)


def test_every_designated_credit_is_offered_to_someone(fixture_catalogue):
    course = fixture_catalogue.courses["sample-course"]
    offered = set().union(*(row[3] for row in MATRIX)) | {"nursing-ca-brn", "nursing-ca-lvn", "nursing-ca-pt"}
    assert {d.approval_id for d in course.designations} == offered


def test_moc_credit_says_what_is_missing(fixture_catalogue):
    course = fixture_catalogue.courses["sample-course"]
    provider = fixture_catalogue.provider

    def moc_missing(learner, consent=False):
        offers = offered_credit(course, provider, learner, date(2025, 7, 29), moc_consent=consent)
        return next(o for o in offers if o.approval_id == "moc-abim").missing

    claimed = MappingProxyType({"ama-pra": Decimal("0.75")})
    bare = Learner(profession="physician", claimed=claimed)
    assert moc_missing(bare) == (MISSING_BOARD_ID, MISSING_BIRTH_DATE, MISSING_CONSENT)
    wrong_board = Learner(profession="physician", board_ids=MappingProxyType({"ABP": "123"}), birth_month=2, birth_day=29,
                          claimed=claimed)
    assert moc_missing(wrong_board, consent=True) == (MISSING_BOARD_ID,)
    no_day = Learner(profession="physician", board_ids=MappingProxyType({"ABIM": "123"}), birth_month=2, claimed=claimed)
    assert moc_missing(no_day, consent=True) == (MISSING_BIRTH_DATE,)
    ready = Learner(profession="physician", board_ids=MappingProxyType({"ABIM": "123"}), birth_month=2, birth_day=29,
                    claimed=claimed)
    assert moc_missing(ready) == (MISSING_CONSENT,)
    unclaimed = Learner(profession="physician", board_ids=MappingProxyType({"ABIM": "123"}), birth_month=2, birth_day=29)
    assert moc_missing(unclaimed, consent=True) == (MISSING_CME_CLAIM,)
    assert moc_missing(ready, consent=True) == ()
    offers = offered_credit(course, provider, ready, date(2025, 7, 29))
    assert all(o.missing == () for o in offers if o.approval_id != "moc-abim")


def offered_on_claim_page(client) -> set[str]:
    page = client.get("/courses/sample-course/credit")
    assert page.status_code == 200
    return set(re.findall(r'data-approval-id="([^"]+)"', page.get_data(as_text=True)))


@pytest.mark.parametrize(("profession", "states", "completed_at", "expected"), [
    ("nurse", ("AL", "KY"), datetime(2025, 7, 29, 23, 59, tzinfo=UTC), {"ancc", "nursing-al", "nursing-ky", "ipce"}),
    ("nurse", ("AL", "KY"), datetime(2025, 7, 30, 0, 1, tzinfo=UTC), {"ancc", "nursing-ky", "ipce"}),
    ("nurse", ("KY",), datetime(2025, 12, 31, 12, 0, tzinfo=UTC), {"ancc", "nursing-ky", "ipce"}),
    ("nurse", ("KY",), datetime(2026, 1, 1, 12, 0, tzinfo=UTC), {"ancc", "ipce"}),
    ("physician", ("AL",), datetime(2025, 7, 29, 12, 0, tzinfo=UTC), {"ama-pra", "moc-abim", "ipce"}),
    ("social_worker", ("NY",), datetime(2025, 7, 29, 12, 0, tzinfo=UTC), {"ny-social-work", "ipce"}),
    ("counselor", (), datetime(2025, 7, 29, 12, 0, tzinfo=UTC), {"nbcc", "ipce"}),
    ("psychologist", (), datetime(2025, 7, 29, 12, 0, tzinfo=UTC), {"ipce"}),
])
def test_claim_page_offers_exactly_the_eligible_credit(client, profession, states, completed_at, expected):
    user = make_user(email="learner@example.org", profession=profession,
                     licences=[(state, LICENCE_TYPE[profession], f"{state}-1234") for state in states])
    complete_course(user, completed_at=completed_at)
    submit_evaluation(user)
    sign_in(client, "learner@example.org")
    assert offered_on_claim_page(client) == expected


def test_claim_page_names_what_moc_credit_lacks(client):
    user = make_user(email="doc@example.org", profession="physician")
    complete_course(user)
    submit_evaluation(user)
    sign_in(client, "doc@example.org")
    page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    moc = page[page.index('data-approval-id="moc-abim"'):]
    moc = moc[:moc.index("</section>")]
    assert "your ABIM board ID (missing)" in moc
    assert "your birth month and day (missing)" in moc
    assert "consent to sharing your completion data with ACCME" in moc
    assert "<form" not in moc
