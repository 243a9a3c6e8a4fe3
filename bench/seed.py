"""Seed a migrated SQLite database with many learners, quiz attempts and certificates.

    .venv/bin/python bench/seed.py DB_FILE [--users 100000] [--attempts 1000000]
                                    [--certificates 200000] [--tag seed] [--content content/]

DB_FILE must already have the schema (`flask db upgrade`); rows are appended after whatever
is there, so running it again with another --tag adds more (bench/run does this to grow the
certificates from 200,000 to 1,000,000 for the export figures).

The shape follows the app's own rules, computed with the app's own functions on the real
content in content/:
- learners of every profession in the course's audience, with licences in real states and
  board IDs for physicians; one Argon2 hash shared by all (hashing 100,000 is not the point);
- quiz attempts drawn by quizzes.rules.draw_questions and graded by quizzes.rules.grade, at
  most one open attempt per learner and objective, numbered 1, 2, ... per objective, after
  the learner read the objective's module;
- a course completion for every learner who passed both objectives, an evaluation for most
  of them (and for everyone who claimed credit);
- certificates only for credit that credits.eligibility.offered_credit offers the learner on
  the completion date (profession, licence states, approval dates, MOC board ID and birth
  date), with the text copied from the approval and designation as credits.claims does;
  about 1% revoked. Seeded certificates have no stored PDF (drawing and keeping 200,000 of
  them, about 47 kB each, is not what the pages measured read): the PDF downloads measured
  are of the readers' certificates, issued through credits.claims.claim_credit.

Speed: plain sqlite3 executemany in batches of 20,000 rows, synchronous=OFF and an in-memory
rollback journal while seeding (WAL is set back at the end), so 100,000 learners, 1,000,000
attempts and 200,000 certificates take a few minutes, most of it writing the attempts'
question snapshots (about 5 kB each, as the app stores them).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402

from course.content.loader import load_catalogue  # noqa: E402
from course.content.model import Course  # noqa: E402
from credits.certificates import new_code  # noqa: E402
from credits.claims import CLAIM_STEP  # noqa: E402
from credits.eligibility import Learner, offered_credit  # noqa: E402
from quizzes.rules import draw_questions, grade  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
BATCH = 20_000
DRAWS_PER_OBJECTIVE = 48

PROFESSIONS = [("physician", 30), ("nurse", 35), ("physician_assistant", 8), ("social_worker", 10),
               ("counselor", 8), ("mft", 5), ("psychologist", 2), ("other", 2)]
STATES = [("CA", 12), ("NY", 10), ("FL", 9), ("TX", 9), ("GA", 4), ("AL", 2), ("AR", 2), ("DC", 2), ("KY", 2),
          ("SC", 2), ("WV", 1), ("OH", 5), ("PA", 5), ("IL", 5), ("WA", 4), ("MA", 4), ("NC", 4)]
BOARDS = [("ABIM", 50), ("ABP", 20), ("ABA", 12), ("ABS", 12), ("ABPath", 6)]
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eun-ji", "Fatima", "George", "Hana", "Igor", "Jürgen", "Kwame", "Lucía",
         "Mei", "Nikos", "Olga", "Priya", "Quentin", "Rosa", "Søren", "Tomasz", "Uma", "Vera", "Wen", "Yusuf", "Zoë"]
LAST = ["Adeyemi", "Brown", "Castillo", "Dubois", "Eriksen", "Fernández", "García", "Huang", "Ivanova", "Jones",
        "Kowalski", "Lee", "Müller", "Nguyễn", "O'Brien", "Patel", "Quispe", "Rossi", "Smith", "Tanaka",
        "Ulloa", "Virtanen", "Williams", "Xu", "Yilmaz", "Zhang"]
COMPLETER_SHARE = 0.7
REVOKED_SHARE = 0.01


def stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a DateTime in SQLite (UTC, no offset)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


class Draws:
    """A few dozen real draws per objective, each with answer sets graded by quizzes.rules.grade."""

    def __init__(self, course: Course, rng: random.Random):
        self.by_objective = {}
        for objective in course.objectives:
            draws = []
            for _ in range(DRAWS_PER_OBJECTIVE):
                questions = draw_questions(course, objective.id, rng)
                variants = {}
                for right in range(len(questions) + 1):
                    answers = {}
                    for index, question in enumerate(questions):
                        if index < right:
                            answers[question["id"]] = list(question["correct"])
                        else:
                            wrong = next(o for o, _ in question["options"] if o not in question["correct"])
                            answers[question["id"]] = [wrong]
                    result = grade(questions, answers, course.pass_mark)
                    variants[right] = (json.dumps(answers), json.dumps(result.right), result.score, result.passed)
                draws.append((json.dumps(questions), len(questions), variants))
            self.by_objective[objective.id] = draws
        size = course.quiz.questions_per_attempt
        self.passing = [right for right in range(size + 1) if 100 * right >= course.pass_mark * size]
        self.failing = [right for right in range(size + 1) if right not in self.passing]


def _evaluation_answers(course: Course, rng: random.Random) -> str:
    answers = {}
    for item in course.evaluation:
        if item.type in ("rating", "choice"):
            answers[item.id] = rng.choice(item.choices)
        elif item.type == "number":
            low = item.minimum if item.minimum is not None else 10
            high = item.maximum if item.maximum is not None else 120
            answers[item.id] = rng.randint(low, min(high, max(low, 120)))
        elif not item.required and rng.random() < 0.7:
            continue
        else:
            answers[item.id] = rng.choice(["Useful.", "Clear and practical.", "More cases, please."])
    return json.dumps(answers)


def seed(db_file: Path, *, users: int, attempts: int, certificates: int, tag: str = "seed",
         content: Path = PROJECT / "content", completer_share: float = COMPLETER_SHARE, random_seed: int = 7,
         log=print) -> dict[str, int]:
    started = time.perf_counter()
    rng = random.Random(f"{random_seed}-{tag}")
    catalogue = load_catalogue(content)
    if catalogue.problems:
        raise SystemExit(f"content has problems: {catalogue.problems[0]}")
    course = next(iter(catalogue.courses.values()))
    provider = catalogue.provider
    objectives = [o.id for o in course.objectives]
    reads_for = {o: course.module_for_objective(o).id for o in objectives}
    draws = Draws(course, rng)
    password_hash = PasswordHasher().hash("seeded learner password")  # production's default parameters
    address = "\n".join(provider.address)

    connection = sqlite3.connect(db_file, isolation_level=None)
    connection.execute("PRAGMA journal_mode=MEMORY")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")  # up to 1 GB of page cache while seeding
    connection.execute("PRAGMA temp_store=MEMORY")
    first_user = (connection.execute("SELECT max(id) FROM users").fetchone()[0] or 0) + 1
    open_from = datetime(2025, 7, 1, tzinfo=UTC)
    now = datetime.now(UTC).replace(microsecond=0)
    span = (now - open_from).total_seconds()
    if span <= 0:
        raise SystemExit("the clock is before the course's release date")

    # Who completes, how many attempts each learner makes (at least what their story needs).
    completer = [rng.random() < completer_share for _ in range(users)]
    minimum = [len(objectives) if c else 0 for c in completer]
    remaining = attempts - sum(minimum)
    if remaining < 0:
        raise SystemExit(f"{attempts} attempts are too few for {sum(completer)} completers")
    counts = minimum[:]
    for _ in range(remaining):
        counts[rng.randrange(users)] += 1

    totals = {"users": 0, "licences": 0, "board_ids": 0, "module_reads": 0, "quiz_attempts": 0,
              "course_completions": 0, "evaluation_responses": 0, "certificates": 0}
    buffers: dict[str, list[tuple]] = {name: [] for name in totals}
    statements = {
        "users": "INSERT INTO users (id, email, name, password_hash, role, profession, birth_month, birth_day, "
                 "created_at, session_version) VALUES (?, ?, ?, ?, 'learner', ?, ?, ?, ?, 1)",
        "licences": "INSERT INTO licences (user_id, state, number) VALUES (?, ?, ?)",
        "board_ids": "INSERT INTO board_ids (user_id, board, number) VALUES (?, ?, ?)",
        "module_reads": "INSERT INTO module_reads (user_id, course_slug, module_id, first_read_at) VALUES (?, ?, ?, ?)",
        "quiz_attempts": "INSERT INTO quiz_attempts (user_id, course_slug, objective_id, number, content_version, "
                         "questions, pass_mark, status, started_at, submitted_at, answers, graded, score, total, "
                         "passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "course_completions": "INSERT INTO course_completions (user_id, course_slug, completed_at, content_version) "
                              "VALUES (?, ?, ?, ?)",
        "evaluation_responses": "INSERT INTO evaluation_responses (user_id, course_slug, answers, content_version, "
                                "submitted_at) VALUES (?, ?, ?, ?, ?)",
        "certificates": "INSERT INTO certificates (user_id, course_slug, approval_id, content_version, code, status, "
                        "issued_at, revoked_at, revoked_reason, supersedes_id, learner_name, course_title, "
                        "course_format, provider_name, provider_address, completion_date, amount, unit, "
                        "pharmacology_hours, approval_body, approval_number, statement, attested_at, moc_board, "
                        "moc_board_id, moc_birth_month, moc_birth_day, moc_consented_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    }

    def flush(force: bool = False) -> None:
        for name, rows in buffers.items():
            if rows and (force or len(rows) >= BATCH):
                connection.execute("BEGIN")
                connection.executemany(statements[name], rows)
                connection.execute("COMMIT")
                totals[name] += len(rows)
                rows.clear()

    issued = 0
    slug, version = course.slug, course.version
    for index in range(users):
        user_id = first_user + index
        profession = weighted(rng, PROFESSIONS)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        created = open_from + timedelta(seconds=rng.random() * span * 0.8)
        birth = (rng.randint(1, 12), rng.randint(1, 28)) if profession == "physician" and rng.random() < 0.8 else (None, None)
        buffers["users"].append((user_id, f"{tag}-{index}@seed.example.org", name, password_hash, profession,
                                 birth[0], birth[1], stamp(created)))
        states = sorted({weighted(rng, STATES) for _ in range(rng.choice((1, 1, 1, 2, 3)))})
        numbers = {state: (f"RN9{rng.randrange(10**6):06d}" if state == "FL" else f"{state}-{rng.randrange(10**7):07d}",)
                   for state in states}  # Florida's in the form CE Broker matches (RN9123456)
        for state in states:
            buffers["licences"].append((user_id, state, numbers[state][0]))
        boards = {}
        if profession == "physician" and rng.random() < 0.6:
            board = weighted(rng, BOARDS)
            boards[board] = f"{rng.randrange(10**6, 10**7)}"
            buffers["board_ids"].append((user_id, board, boards[board]))

        # Quiz attempts: per objective, failures then (for completers) a pass; maybe one left open.
        moment = created + timedelta(minutes=rng.randint(5, 60 * 24 * 30))
        moment = max(created, min(moment, now - timedelta(seconds=1300 * (counts[index] + 2))))
        per_objective = {o: 0 for o in objectives}
        if completer[index]:
            for objective in objectives:
                per_objective[objective] = 1
            for _ in range(counts[index] - len(objectives)):
                per_objective[rng.choice(objectives)] += 1
        elif counts[index]:
            per_objective[objectives[0]] = counts[index]
        read = ["introduction"] if counts[index] else []
        read += [reads_for[o] for o in objectives if per_objective[o]]
        if completer[index]:
            read = [m.id for m in course.modules]
        for module_id in read:
            buffers["module_reads"].append((user_id, slug, module_id, stamp(moment)))
        last_pass = None
        for objective in objectives:
            total = per_objective[objective]
            for number in range(1, total + 1):
                questions, question_count, variants = rng.choice(draws.by_objective[objective])
                started_at = moment
                moment = moment + timedelta(seconds=rng.randint(60, 1200))
                last = number == total
                if last and not completer[index] and rng.random() < 0.3:
                    buffers["quiz_attempts"].append((user_id, slug, objective, number, version, questions,
                                                     course.pass_mark, "open", stamp(started_at), None, None, None,
                                                     None, question_count, None))
                    continue
                right = rng.choice(draws.passing if last and completer[index] else draws.failing)
                answers, graded, score, passed = variants[right]
                buffers["quiz_attempts"].append((user_id, slug, objective, number, version, questions,
                                                 course.pass_mark, "submitted", stamp(started_at), stamp(moment),
                                                 answers, graded, score, question_count, int(passed)))
                if passed:
                    last_pass = moment
        if completer[index]:
            completed_at = min(last_pass, now)
            buffers["course_completions"].append((user_id, slug, stamp(completed_at), version))
            learner = Learner(profession, frozenset(states), MappingProxyType(numbers), MappingProxyType(boards), *birth)
            completed_on = completed_at.date()
            offers = offered_credit(course, provider, learner, completed_on, moc_consent=True)
            claimable = [o for o in offers if not o.missing]
            wants = issued < certificates and claimable
            if wants or rng.random() < 0.8:
                evaluated = completed_at + timedelta(minutes=rng.randint(2, 30))
                buffers["evaluation_responses"].append((user_id, slug, _evaluation_answers(course, rng), version,
                                                        stamp(evaluated)))
            if wants:
                claim_at = completed_at + timedelta(minutes=rng.randint(31, 90))
                for offer in claimable[:certificates - issued]:
                    buffers["certificates"].append(_certificate_row(
                        rng, user_id, name, course, offer, completed_on, claim_at, address, provider.name, birth, boards))
                    issued += 1
        if index % 2000 == 1999:
            flush()
            if index % 20000 == 19999:
                log(f"  seeded {index + 1:,} of {users:,} learners ({time.perf_counter() - started:.0f} s)")
    flush(force=True)
    if issued < certificates:
        raise SystemExit(f"only {issued:,} certificates could be issued; seed more learners")
    connection.execute("PRAGMA journal_mode=WAL")
    problems = connection.execute("PRAGMA foreign_key_check").fetchall()
    connection.close()
    if problems:
        raise SystemExit(f"foreign key problems after seeding: {problems[:5]}")
    totals["seconds"] = round(time.perf_counter() - started, 1)
    return totals


def _certificate_row(rng, user_id, name, course, offer, completed_on: date, claim_at: datetime, address, provider_name,
                     birth, boards) -> tuple:
    designation, approval = offer.designation, offer.approval
    amount = designation.amount
    attested = None
    if offer.is_variable:
        steps = max(1, int(designation.amount / CLAIM_STEP))
        amount = designation.amount if rng.random() < 0.8 else CLAIM_STEP * rng.randint(1, steps)
        attested = stamp(claim_at)
    moc = (None, None, None, None, None)
    if offer.is_moc:
        moc = (approval.moc_board, boards[approval.moc_board], birth[0], birth[1], stamp(claim_at))
    revoked = rng.random() < REVOKED_SHARE
    return (
        user_id, course.slug, approval.id, course.version, new_code(), "revoked" if revoked else "valid",
        stamp(claim_at), stamp(claim_at + timedelta(days=3)) if revoked else None,
        "Issued in error (seeded)." if revoked else None, name, course.title, course.format, provider_name, address,
        completed_on.isoformat(), float(amount), designation.unit,
        float(designation.pharmacology_hours) if designation.pharmacology_hours is not None else None,
        approval.body, approval.number, approval.statement, attested, *moc,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--certificates", type=int, default=200_000)
    parser.add_argument("--tag", default="seed")
    parser.add_argument("--completers", type=float, default=COMPLETER_SHARE, help="share of learners who complete")
    parser.add_argument("--content", type=Path, default=PROJECT / "content")
    args = parser.parse_args()
    totals = seed(args.db, users=args.users, attempts=args.attempts, certificates=args.certificates, tag=args.tag,
                  content=args.content, completer_share=args.completers)
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
