"""What a learner should do next in a course, shown at the top of the course page."""
from dataclasses import dataclass

from course.content.model import Course
from quizzes.attempts import ObjectiveStatus


@dataclass(frozen=True)
class NextStep:
    text: str
    link_text: str
    endpoint: str
    slug: str
    module_id: str | None = None
    objective_id: str | None = None

    @property
    def url_args(self) -> dict[str, str]:
        args = {"slug": self.slug, "module_id": self.module_id, "objective_id": self.objective_id}
        return {name: value for name, value in args.items() if value is not None}


def next_step(course: Course, statuses: list[ObjectiveStatus], evaluation_submitted: bool,
              has_certificates: bool) -> NextStep | None:
    """The first thing left to do: read a module, pass its quiz, fill in the evaluation, claim credit.

    None once the learner holds a certificate for the course (the credit section lists them).
    """
    for status in statuses:
        if status.state == "passed":
            continue
        module = course.module(status.module_id) if status.module_id else None
        if status.state == "not started" and module is not None:
            return NextStep(f"Read “{module.title}”; its quiz opens once you have.",
                            f"Open the module “{module.title}”", "pages.module_page", course.slug, module_id=module.id)
        return NextStep(f"Pass the quiz on this objective: {status.text}", "Open this objective's quiz",
                        "quizzes.quiz_intro", course.slug, objective_id=status.objective_id)
    if not evaluation_submitted:
        return NextStep("You have passed every quiz. What is left: the course evaluation, then claiming your credit.",
                        "Go to the evaluation form", "credits.evaluation", course.slug)
    if not has_certificates:
        return NextStep("You have passed every quiz and submitted the evaluation: claim your credit.",
                        "Claim your credit", "credits.claim_page", course.slug)
    return None
