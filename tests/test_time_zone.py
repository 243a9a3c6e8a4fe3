"""The provider's time zone (provider.yaml `time_zone`): certificates, exports and report filters use its days."""
import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from course.core.filters import calendar_day
from course.core.extensions import db
from credits.models import Certificate, EvaluationResponse
from tests.factories import complete_course, make_user, post_claim, sign_in, submit_evaluation
from tests.test_pdf_scripts import read_back

# 01:10 UTC on 2 December is 17:10 on 1 December in California (PST, UTC-8).
LATE_EVENING_IN_CALIFORNIA = datetime(2026, 12, 2, 1, 10, tzinfo=UTC)


@pytest.fixture
def content_dir(content_dir):
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("name: ", "time_zone: America/Los_Angeles\nname: ", 1))
    return content_dir


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: datetime(2026, 12, 2, 2, 0, tzinfo=UTC)}


def test_a_timestamp_falls_on_the_day_of_the_zone_asked_for():
    assert calendar_day(LATE_EVENING_IN_CALIFORNIA, ZoneInfo("America/Los_Angeles")) == date(2026, 12, 1)
    assert calendar_day(LATE_EVENING_IN_CALIFORNIA, UTC) == date(2026, 12, 2)
    assert calendar_day(LATE_EVENING_IN_CALIFORNIA.replace(tzinfo=None), ZoneInfo("America/New_York")) == date(2026, 12, 1)


def test_the_provider_zone_is_the_default_in_the_app(app):
    assert calendar_day(LATE_EVENING_IN_CALIFORNIA) == date(2026, 12, 1)


@pytest.fixture
def late_nurse(client):
    """A nurse who finished the course, and the evaluation, at 17:10 on 1 December, California time."""
    nurse = make_user(email="nia@example.org", name="Nia Nurse", profession="nurse", licences=[("NY", "RN-1")])
    complete_course(nurse, completed_at=LATE_EVENING_IN_CALIFORNIA)
    evaluation = submit_evaluation(nurse)
    evaluation.submitted_at = LATE_EVENING_IN_CALIFORNIA
    db.session.commit()
    sign_in(client, nurse.email)
    return nurse


def test_the_certificate_says_the_provider_s_day(client, late_nurse):
    assert post_claim(client, "ancc").status_code == 303
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == late_nurse.id))
    assert certificate.completion_date == date(2026, 12, 1)
    text = " ".join(read_back(client.get(f"/certificates/{certificate.id}.pdf").data).split())
    assert "Completion date: December 1, 2026" in text
    assert "Issued: December 1, 2026" in text  # issued at 02:00 UTC, 18:00 in California


def test_exports_and_their_filters_use_the_provider_s_day(client, runner, late_nurse):
    assert post_claim(client, "ancc").status_code == 303

    def rows(report, *arguments):
        result = runner.invoke(args=["reports", report, *arguments])
        assert result.exit_code == 0, result.output
        return list(csv.DictReader(io.StringIO(result.stdout)))

    [completion] = rows("completions", "--since", "2026-12-01", "--until", "2026-12-01")
    assert completion["completion_date"] == "2026-12-01"
    assert rows("completions", "--since", "2026-12-02") == []
    [evaluation] = rows("evaluations", "--since", "2026-12-01", "--until", "2026-12-01")
    assert evaluation["submitted_on"] == "2026-12-01"
    assert rows("evaluations", "--since", "2026-12-02") == []


def test_the_admin_report_filter_uses_the_provider_s_day(client, late_nurse):
    assert post_claim(client, "ancc").status_code == 303
    admin = make_user(email="admin@example.org", role="admin")
    client = client.application.test_client()
    sign_in(client, admin.email)
    on_the_day = client.get("/admin/completions?since=2026-12-01&until=2026-12-01")
    assert on_the_day.status_code == 200
    assert "Nia Nurse" in on_the_day.get_data(as_text=True)
    assert "Nia Nurse" not in client.get("/admin/completions?since=2026-12-02").get_data(as_text=True)


def test_an_unknown_time_zone_fails_the_content_check(runner, content_dir):
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("America/Los_Angeles", "Pacific/Sacramento"))
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "content/provider.yaml:1: unknown time zone 'Pacific/Sacramento'" in result.output
