"""The evaluation and claim forms. They render and carry the CSRF token; the evaluation and claims modules judge the answers."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Form, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp
from wtforms.widgets import NumberInput

from course.content.model import EvaluationItem
from course.core.filters import format_amount

from .eligibility import Offer
from .evaluation import TEXT_ANSWER_MAX

FIELD_PREFIX = "item-"


def field_name(item: EvaluationItem) -> str:
    """Item ids are free to be 'submit' or 'csrf_token'; the prefix keeps them apart from the form's own fields."""
    return FIELD_PREFIX + item.id


def evaluation_form(items: tuple[EvaluationItem, ...], **kwargs) -> FlaskForm:
    """A form with one field per evaluation item, in file order."""

    class EvaluationForm(FlaskForm):
        submit = SubmitField("Submit the evaluation")

    for item in items:
        label = item.text if item.required else f"{item.text} (optional)"
        if item.type in ("rating", "choice"):
            field = RadioField(label, choices=[SelectChoice(c, c) for c in item.choices], validate_choice=False, validators=[Optional()])
        elif item.type == "number":
            field = StringField(label, widget=NumberInput(min=item.minimum, max=item.maximum))
        else:
            field = TextAreaField(label, render_kw={"maxlength": TEXT_ANSWER_MAX, "rows": 4})
        setattr(EvaluationForm, field_name(item), field)
    return EvaluationForm(**kwargs)


def evaluation_answers(form: FlaskForm, items: tuple[EvaluationItem, ...]) -> dict[str, str | None]:
    return {item.id: form[field_name(item)].data for item in items}


def add_evaluation_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show the messages from evaluation.check_evaluation_answers (item id -> message) on their fields."""
    for item_id, message in errors.items():
        field = form[FIELD_PREFIX + item_id]
        field.errors = [*field.errors, message]


class BadgeVerifyForm(FlaskForm):
    """A credential to verify: pasted JSON, or a .json file or baked .png badge."""

    credential = TextAreaField("Paste the credential (JSON)", render_kw={"rows": 10, "spellcheck": "false"})
    upload = FileField("Or choose the credential file (.json) or badge image (.png)")
    submit = SubmitField("Verify the credential")


class ClaimForm(FlaskForm):
    amount = StringField("Credit you claim", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    attested = BooleanField("I claim only the credit that matches the extent of my participation in this activity.")
    moc_consent = BooleanField(
        "I consent to the provider sharing my completion data, board ID and birth month and day with ACCME "
        "and my certifying board for MOC credit."
    )
    submit = SubmitField("Claim this credit")


def claim_form(offer: Offer, **kwargs) -> ClaimForm:
    """The claim form for one offer; its fields are prefixed with the approval id so many fit on one page."""
    form = ClaimForm(prefix=offer.approval_id, **kwargs)
    designation = offer.designation
    form.amount.label.text = f"{designation.unit} claimed (up to {format_amount(designation.amount)}, in steps of 0.25)"
    award = offer.award if offer.award is not None else designation.amount
    form.submit.label.text = f"Claim {designation.unit}" if offer.is_variable else (
        f"Claim {format_amount(award)} {designation.unit}"
    )
    return form


class VerifyForm(Form):
    """The code typed on the public verification page (a GET form, so without a CSRF token)."""

    code = StringField("Verification code", validators=[
        DataRequired("Enter the verification code printed on the certificate."),
        Regexp(r"^\s*[A-Za-z0-9_-]{16,64}\s*$", message="A verification code is 16 to 64 letters, digits, "
                                                        "hyphens or underscores, as printed on the certificate."),
    ])
