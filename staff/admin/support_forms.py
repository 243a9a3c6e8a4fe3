"""Forms of the learner-support pages: profile corrections, certificate corrections, quiz attempts,
completions by hand, account deactivation and deletion, password-reset emails."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

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
