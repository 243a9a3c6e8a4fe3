"""Forms of the learner-support pages: profile corrections, certificate corrections, quiz attempts,
completions by hand, account deactivation and deletion, password-reset emails."""
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from accounts.forms import ProfileForm


def reason_field(label: str = "Reason (kept in the audit trail)", message: str = "Give the reason.") -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(message), Length(max=2000)], render_kw={"rows": 2})


class AdminProfileForm(ProfileForm):
    reason = reason_field("Reason for the correction (kept in the audit trail with what changed)",
                          "Give the reason for correcting the profile.")
    submit = SubmitField("Save the correction")


class ReinstateForm(FlaskForm):
    reason = reason_field("Reason for reinstating (kept in the audit trail with the revocation it undoes)",
                          "Give the reason for reinstating the certificate.")
    submit = SubmitField("Reinstate the certificate")


class AmountForm(FlaskForm):
    amount = StringField("Corrected amount", validators=[DataRequired("Enter the corrected amount."), Length(max=20)])
    reason = reason_field("Reason for the correction (kept in the audit trail)",
                          "Give the reason for correcting the amount.")
    submit = SubmitField("Reissue with the corrected amount")


def certificate_forms() -> dict:
    """Blank learner-support forms of the certificate page, by the names its template uses."""
    return {"reinstate_form": ReinstateForm(formdata=None), "amount_form": AmountForm(formdata=None)}


class QuizAllowanceForm(FlaskForm):
    """Choices are "<course slug>/<objective id>", set from the courses served."""

    objective = SelectField("Quiz", validators=[DataRequired("Choose the quiz.")])
    change = SelectField("Change", choices=[SelectChoice("extra", "Grant one extra attempt"),
                                            SelectChoice("reset", "Reset: earlier attempts no longer count")])
    reason = reason_field(message="Give the reason.")
    submit = SubmitField("Apply to the quiz")

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.objective.choices = [SelectChoice("", "Choose a quiz")] + [
            SelectChoice(f"{course.slug}/{objective.id}", f"{course.title}: {objective.text}")
            for course in courses for objective in course.objectives
        ]


class CompletionForm(FlaskForm):
    course = SelectField("Course", validators=[DataRequired("Choose the course.")])
    completed_on = DateField("Completed on", validators=[InputRequired("Enter the day the learner completed it.")])
    reason = reason_field("Reason (e.g. the paper attempt it rests on; kept in the audit trail)",
                          "Give the reason for recording the completion by hand.")
    submit = SubmitField("Record the completion")

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = [SelectChoice("", "Choose a course")] + [SelectChoice(course.slug, course.title) for course in courses]


class AccountForm(FlaskForm):
    """Deactivate or reactivate (the reason is all it needs)."""

    reason = reason_field()
    submit = SubmitField("Confirm")


class DeleteAccountForm(FlaskForm):
    confirm_email = StringField("Type the account's email to confirm",
                                validators=[DataRequired("Type the account's email to confirm.")])
    reason = reason_field("Reason for deleting (kept in the audit trail)", "Give the reason for deleting the account.")
    submit = SubmitField("Delete the account")

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_confirm_email(self, field):
        if (field.data or "").strip().lower() != self._email:
            raise ValidationError("That is not this account's email.")


class PasswordResetForm(FlaskForm):
    submit = SubmitField("Send a password-reset email")


def learner_forms(user, courses) -> dict:
    """Blank learner-support forms of the learner's page, by the names its template uses."""
    return {
        "quiz_form": QuizAllowanceForm(formdata=None, courses=courses),
        "completion_form": CompletionForm(formdata=None, courses=courses),
        "account_form": AccountForm(formdata=None),
        "delete_form": DeleteAccountForm(formdata=None, email=user.email),
        "reset_form": PasswordResetForm(formdata=None),
    }
