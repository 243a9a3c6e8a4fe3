"""Quizzes through the HTTP client: gating, grading, feedback, retakes, exactly-once."""
import re

import pytest
from sqlalchemy import func, select, update

from course.core.extensions import db
from quizzes.models import CourseCompletion, QuizAttempt
from tests.factories import csrf_token, make_user, quiz_answers, sign_in

COURSE = "/courses/sample-course"
QUIZ = COURSE + "/objectives/first-objective/quiz"


@pytest.fixture
def learner(client):
    user = make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    return user


def read_module(client, module_id="first-objective"):
    assert client.get(f"{COURSE}/modules/{module_id}").status_code == 200


def start(client, quiz_url=QUIZ) -> QuizAttempt:
    response = client.post(quiz_url, data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(QuizAttempt, attempt_id)


def submit(client, attempt, data):
    return client.post(f"/quiz/attempts/{attempt.id}", data={"csrf_token": csrf_token(client, "/profile"), **data})


def test_quiz_before_reading_the_module_is_refused(client, learner):
    response = client.get(QUIZ)
    assert response.status_code == 403
    assert "Read the module" in response.get_data(as_text=True)
    response = client.post(QUIZ, data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_intro_tells_question_count_and_pass_mark(client, learner):
    read_module(client)
    page = client.get(QUIZ).get_data(as_text=True)
    assert "3, drawn from a bank of 4" in page and "70% correct" in page


def test_answer_key_is_not_in_the_quiz_page(client, learner):
    read_module(client)
    attempt = start(client)
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    for question in attempt.questions:
        assert question["stem_html"] in page
        assert question["rationale_html"] not in page
    assert "Because" not in page  # rationale text
    assert not re.search(r"correct|data-answer|is-right", page.split("<main", 1)[1], re.IGNORECASE)
    values = re.findall(r'name="q-[^"]+" value="([^"]+)"', page)
    assert set(values) <= {"1", "2", "3"}


def test_reloading_shows_the_same_attempt(client, learner):
    read_module(client)
    attempt = start(client)
    def questions_shown():
        page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
        return re.sub(r'name="csrf_token" value="[^"]+"', "", page.split('class="quiz-form"', 1)[1])

    first = questions_shown()
    again = start(client)
    assert again.id == attempt.id
    assert questions_shown() == first


def test_open_attempt_survives_sign_out(client, learner):
    read_module(client)
    attempt = start(client)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    sign_in(client, "kim@example.org")
    assert start(client).id == attempt.id


def test_pass_path_records_score_and_shows_feedback_with_answers(client, learner):
    read_module(client)
    attempt = start(client)
    response = submit(client, attempt, quiz_answers(attempt))
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert (attempt.status, attempt.score, attempt.passed) == ("submitted", 3, True)
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "3 of 3" in page and "passed" in page
    assert page.count("class=\"tag correct\"") == sum(len(q["correct"]) for q in attempt.questions)
    for question in attempt.questions:
        assert question["rationale_html"] in page
        assert question["reference"]["citation"] in page
    assert "Quiz passed (best score 100%)" in client.get(COURSE).get_data(as_text=True)


def test_each_answer_is_graded_once_and_the_results_page_shows_that_grading(client, learner):
    """The grading is stored with the attempt; the results page reads it rather than judging again."""
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=2))
    db.session.refresh(attempt)
    first, second, third = (q["id"] for q in attempt.questions)
    assert attempt.graded == {first: True, second: True, third: False}
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id)
                       .values(graded={first: False, second: True, third: True}))
    db.session.commit()
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert re.findall(r"Question \d: (Right|Not right)", page) == ["Not right", "Right", "Right"]


def test_fail_path_shows_what_was_wrong_but_neither_the_key_nor_a_rationale_and_allows_retake(client, learner):
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=1))
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "not passed" in page and "1 of 3" in page
    assert re.findall(r"Question \d: (Right|Not right)", page) == ["Right", "Not right", "Not right"]
    db.session.refresh(attempt)
    assert page.count("Your answer") == sum(len(chosen) for chosen in attempt.answers.values())
    assert "tag correct" not in page and "Correct answer" not in page
    assert not any(q["rationale_html"] in page for q in attempt.questions)
    assert "Because" not in page  # every rationale in the sample bank starts so
    assert "shown once you pass" in page
    assert all(q["reference"]["citation"] in page for q in attempt.questions)
    assert "Retake the quiz" in page
    retake = start(client)
    assert retake.id != attempt.id and retake.number == 2
    assert client.get(COURSE).get_data(as_text=True).count("Quiz passed") == 0


@pytest.mark.parametrize("setting, shown", [("always", True), ("never", False)])
def test_reveal_setting_from_course_yaml(client, learner, content_dir, setting, shown):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("reveal_answers: after_pass", f"reveal_answers: {setting}"))
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=0))
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert ("tag correct" in page) is shown
    assert all((q["rationale_html"] in page) is shown for q in attempt.questions)


def test_double_submission_is_recorded_once(client, learner):
    read_module(client)
    attempt = start(client)
    answers = quiz_answers(attempt)
    assert submit(client, attempt, answers).status_code == 302
    second = submit(client, attempt, quiz_answers(attempt, right=0))
    assert second.status_code == 409
    assert "already submitted" in second.get_data(as_text=True)
    db.session.refresh(attempt)
    assert attempt.score == 3
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == "submitted")) == 1


def test_another_learners_attempt_is_answered_as_missing(client, learner):
    read_module(client)
    attempt = start(client)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    make_user(email="other@example.org")
    sign_in(client, "other@example.org")
    response = submit(client, attempt, quiz_answers(attempt))
    assert response.status_code == 404
    assert client.get(f"/quiz/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/quiz/attempts/{attempt.id + 1000}").status_code == 404
    db.session.refresh(attempt)
    assert attempt.status == "open"


@pytest.mark.parametrize("tamper, message", [
    (lambda data: {k: ["9"] for k in data}, "not one of this question&#39;s options"),
    (lambda data: dict(list(data.items())[1:]), "Question 1: choose an answer"),
    (lambda data: {**data, "q-invented-question": ["1"]}, "not part of this attempt"),
])
def test_bad_answers_are_refused_and_the_attempt_stays_open_with_answers_kept(client, learner, tamper, message):
    read_module(client)
    attempt = start(client)
    data = quiz_answers(attempt)
    response = submit(client, attempt, tamper(data))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    db.session.refresh(attempt)
    assert attempt.status == "open"
    if "invented" in str(tamper(data)):
        assert body.count(" checked") == sum(len(v) for v in data.values())


def test_expired_csrf_token_keeps_answers(client, learner):
    read_module(client)
    attempt = start(client)
    data = quiz_answers(attempt)
    response = client.post(f"/quiz/attempts/{attempt.id}", data={"csrf_token": "expired", **data})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "security token expired" in body
    assert body.count(" checked") == sum(len(v) for v in data.values())
    db.session.refresh(attempt)
    assert attempt.status == "open"


def test_editing_the_bank_does_not_change_a_past_attempt(client, learner, content_dir):
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt))
    bank = content_dir / "sample-course" / "quiz" / "first-objective.yaml"
    bank.write_text(bank.read_text().replace("Which is right", "Which is now right").replace("Because", "Since"))
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "Which is now right" not in page and "3 of 3" in page
    db.session.refresh(attempt)
    new = start(client, QUIZ)  # a passed objective can still be practised; the new draw uses the new bank
    assert new.content_version != attempt.content_version
    assert all("now right" in q["stem_html"] or "question three" in q["stem_html"] for q in new.questions)


def test_attempts_left_and_wait_are_shown_before_starting(client, learner, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("max_attempts: null", "max_attempts: 2"))
    read_module(client)
    page = client.get(QUIZ).get_data(as_text=True)
    assert re.search(r'data-testid="attempts-left">\s*2 allowed; 2 left', page), page
    assert "at least 3 of 3 questions right" in page  # 70% of 3 is 2.1: whole questions round up
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=0))
    assert "You have 1 attempt left." in client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert re.search(r'data-testid="attempts-left">\s*2 allowed; 1 left', client.get(QUIZ).get_data(as_text=True))
    second = start(client)
    submit(client, second, quiz_answers(second, right=0))
    page = client.get(QUIZ).get_data(as_text=True)
    assert re.search(r'data-testid="attempts-left">\s*2 allowed; 0 left', page)
    assert "used all 2 attempts" in page and "Start a new attempt" not in page
    results = client.get(f"/quiz/attempts/{second.id}").get_data(as_text=True)
    assert "used all 2 attempts" in results and "Retake the quiz" not in results

    settings = course_yaml.read_text().replace("max_attempts: 2", "max_attempts: null")
    course_yaml.write_text(settings.replace("wait_minutes: 0", "wait_minutes: 45"))
    page = client.get(QUIZ).get_data(as_text=True)
    assert "Wait at least 45 minutes after submitting" in page
    assert "another attempt in about 45 minute" in page and "Start a new attempt" not in page


def test_max_attempts_and_wait_settings(client, learner, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("max_attempts: null", "max_attempts: 1"))
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=0))
    response = client.post(QUIZ, data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 403
    assert "used all 1 attempts" in response.get_data(as_text=True)
    course_yaml.write_text(course_yaml.read_text().replace("max_attempts: 1", "max_attempts: null").replace("wait_minutes: 0", "wait_minutes: 60"))
    response = client.post(QUIZ, data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 429
    assert "another attempt in about 60 minute" in response.get_data(as_text=True)


def test_passing_every_objective_completes_the_course_once(client, learner):
    for objective in ("first-objective", "second-objective"):
        read_module(client, objective)
        attempt = start(client, f"{COURSE}/objectives/{objective}/quiz")
        submit(client, attempt, quiz_answers(attempt))
    completion = db.session.scalar(select(CourseCompletion))
    assert completion is not None and completion.content_version
    page = client.get(COURSE).get_data(as_text=True)
    assert "You have passed every quiz. To complete the course, submit the" in page  # the evaluation completes it
    again = start(client, f"{COURSE}/objectives/first-objective/quiz")
    submit(client, again, quiz_answers(again))
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1


def test_one_objective_passed_is_not_completion(client, learner):
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt))
    assert db.session.scalar(select(CourseCompletion)) is None
    assert "Course completed" not in client.get(COURSE).get_data(as_text=True)


def test_attempt_history_is_visible_to_the_learner(client, learner):
    read_module(client)
    attempt = start(client)
    submit(client, attempt, quiz_answers(attempt, right=1))
    page = client.get(COURSE + "/attempts").get_data(as_text=True)
    assert "attempt 1" in page and "not passed" in page


def test_unknown_objective_and_attempt_are_404(client, learner):
    assert client.get(COURSE + "/objectives/nope/quiz").status_code == 404
    assert client.get("/quiz/attempts/999999").status_code == 404
    assert client.post("/quiz/attempts/999999", data={"csrf_token": csrf_token(client, "/profile")}).status_code == 404


def test_quiz_pages_require_sign_in(client):
    assert client.get(QUIZ).status_code == 302
    assert client.get("/quiz/attempts/1").status_code == 302


def _next_step(page: str) -> str | None:
    """The text of the page's next-step notice, tags dropped, or None."""
    match = re.search(r'<div class="notice next-step"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else None


def _next_step_links(page: str) -> list[str]:
    match = re.search(r'<div class="notice next-step"[^>]*>(.*?)</div>', page, re.S)
    return re.findall(r'href="([^"]+)"', match.group(1)) if match else []


def test_the_notice_after_the_last_quiz_links_the_next_step(client, learner):
    read_module(client, "first-objective")
    first = start(client)
    submit(client, first, quiz_answers(first))
    assert _next_step(client.get(f"/quiz/attempts/{first.id}").get_data(as_text=True)) is None

    read_module(client, "second-objective")
    last = start(client, f"{COURSE}/objectives/second-objective/quiz")
    response = submit(client, last, quiz_answers(last))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have passed every quiz of this course." in page  # the flash
    assert "completed the course" not in page
    notice = _next_step(page)
    assert notice and "the course evaluation, then claiming your credit" in notice
    assert _next_step_links(page) == [f"{COURSE}/evaluation", f"{COURSE}/credit"]
    assert page.index('data-testid="next-step"') < page.index("<h2>Feedback</h2>")


def test_the_course_page_puts_the_next_step_first(client, learner):
    from tests.factories import make_certificate, submit_evaluation

    def top(page):
        assert page.index('data-testid="next-step"') < page.index('id="objectives-heading"')
        return _next_step(page), _next_step_links(page)

    text, links = top(client.get(COURSE).get_data(as_text=True))
    assert "Read “The first thing”" in text and links == [f"{COURSE}/modules/first-objective"]
    read_module(client, "first-objective")
    text, links = top(client.get(COURSE).get_data(as_text=True))
    assert "Pass the quiz on this objective: Describe the first thing." in text
    assert links == [f"{COURSE}/objectives/first-objective/quiz"]
    for objective in ("first-objective", "second-objective"):
        read_module(client, objective)
        attempt = start(client, f"{COURSE}/objectives/{objective}/quiz")
        submit(client, attempt, quiz_answers(attempt))
    text, links = top(client.get(COURSE).get_data(as_text=True))
    assert "What is left: the course evaluation" in text and links == [f"{COURSE}/evaluation"]
    submit_evaluation(learner)
    text, links = top(client.get(COURSE).get_data(as_text=True))
    assert "claim your credit" in text and links == [f"{COURSE}/credit"]
    make_certificate(learner, approval_id="ama-pra")
    assert _next_step(client.get(COURSE).get_data(as_text=True)) is None
