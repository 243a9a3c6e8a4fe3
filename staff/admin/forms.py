"""Forms of the administrators' pages. Filter forms are read from the query string (GET, no CSRF token)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SearchField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from accounts.audit import ACTIONS, COMMAND_LINE_ACTOR, AuditFilters
from accounts.models import User
from course.content.model import Catalogue
from course.core.reference import PROFESSIONS, US_STATES
from course.core.roles import ROLES
from course.core.validation import in_date_range
from lti.platforms import PlatformData
from reports.exports import ReportFilters


class QueryForm(FlaskForm):
    """A form read from the query string: no CSRF token, since it changes nothing.

    Its templates draw the submit button without a name, so the URL carries only the filters.
    """

    class Meta:
        csrf = False


class DateRangeMixin:
    since = DateField("From", validators=[Optional(), in_date_range])
    until = DateField("To (inclusive)", validators=[Optional(), in_date_range])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date must not be before the start date.")


class LearnerSearchForm(QueryForm):
    q = SearchField("Name, email, licence number or board ID", validators=[Length(max=200)])


def _any(label: str) -> list[SelectChoice]:
    return [SelectChoice("", label)]


class ReportFilterForm(DateRangeMixin, QueryForm):
    course = SelectField("Course", validate_choice=False, default="")
    body = SelectField("Accrediting body (credit type)", validate_choice=False, default="")
    profession = SelectField("Profession", default="", choices=_any("Any profession") + [
        SelectChoice(code, label) for code, label in PROFESSIONS.items()
    ])
    state = SelectField("Licence state", default="", choices=_any("Any state") + [SelectChoice(s, s) for s in sorted(US_STATES)])

    def __init__(self, *args, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = _any("Any course") + [
            SelectChoice(course.slug, course.title) for course in sorted(catalogue.courses.values(), key=lambda c: c.title)
        ]
        approvals = catalogue.provider.approvals.values() if catalogue.provider else ()
        self.body.choices = _any("Any body") + [SelectChoice(a.id, f"{a.body} ({a.id})") for a in approvals]

    def filters(self) -> ReportFilters:
        """The filters as chosen (call after a successful validate())."""
        return ReportFilters(
            since=self.since.data, until=self.until.data, course=self.course.data or None,
            body=self.body.data or None, profession=self.profession.data or None, state=self.state.data or None,
        )


class AuditFilterForm(DateRangeMixin, QueryForm):
    action = SelectField("Action", default="", choices=_any("Any action") + [SelectChoice(k, v) for k, v in ACTIONS.items()])
    actor = SelectField("Taken by", default="")

    def __init__(self, *args, actors: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.actor.choices = _any("Anyone") + [SelectChoice(COMMAND_LINE_ACTOR, "The command line")] + [
            SelectChoice(str(user.id), f"{user.name} ({user.email})") for user in actors
        ]

    def filters(self) -> AuditFilters:
        return AuditFilters(action=self.action.data or None, actor=self.actor.data or None,
                            since=self.since.data, until=self.until.data)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES])
    submit = SubmitField("Change role")


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking (kept with the certificate and in the audit trail, not shown publicly)",
        validators=[DataRequired("Give the reason for revoking the certificate."), Length(max=2000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Revoke the certificate")


class ReissueForm(FlaskForm):
    submit = SubmitField("Reissue under the learner's current name")


class MakeBatchForm(FlaskForm):
    until = DateField("Completions up to (inclusive, optional)", validators=[Optional(), in_date_range])
    submit = SubmitField("Make the batch")


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token and a button (mark uploaded, accept the rest, mark corrected)."""

    submit = SubmitField("Confirm")


class OutcomeForm(FlaskForm):
    outcome = SelectField("Outcome", choices=[SelectChoice("", "Choose"), SelectChoice("accepted", "Accepted"),
                                              SelectChoice("rejected", "Rejected")],
                          validators=[DataRequired("Choose accepted or rejected.")])
    reason = TextAreaField("Reason given by the regulator (for a rejection)", validators=[Length(max=2000)])
    submit = SubmitField("Record the outcome")

    def validate_reason(self, field):
        if self.outcome.data == "rejected" and not (field.data or "").strip():
            raise ValidationError("Give the reason the regulator gave for rejecting the record.")


class ResultFileForm(FlaskForm):
    result_file = FileField("Result file (CSV or tab-separated: row, outcome, reason)",
                            validators=[FileRequired("Choose the result file to upload.")])
    submit = SubmitField("Record the outcomes in the file")


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LtiPlatformForm(FlaskForm):
    """Register a learning system (issuer + client id) with this tool."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    issuer = StringField("Issuer (iss)", validators=[DataRequired(), Length(max=500)])
    client_id = StringField("Client id", validators=[DataRequired(), Length(max=255)])
    auth_login_url = StringField("Authorisation (OIDC) URL", validators=[DataRequired(), Length(max=1000)])
    auth_token_url = StringField("Access token URL", validators=[DataRequired(), Length(max=1000)])
    key_set_url = StringField("Public keyset (JWKS) URL", validators=[DataRequired(), Length(max=1000)])
    deployment_ids = TextAreaField("Deployment ids, one per line", validators=[DataRequired()])
    frame_origins = TextAreaField("Origins that show the course in an iframe, one per line", validators=[Optional()])
    auth_audience = StringField("Token audience (if the platform asks for one)", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Register")

    def data_for_registration(self) -> PlatformData:
        return PlatformData(
            name=self.name.data, issuer=self.issuer.data, client_id=self.client_id.data,
            auth_login_url=self.auth_login_url.data, auth_token_url=self.auth_token_url.data,
            key_set_url=self.key_set_url.data, deployment_ids=_lines(self.deployment_ids.data),
            frame_origins=_lines(self.frame_origins.data), auth_audience=self.auth_audience.data or None)
