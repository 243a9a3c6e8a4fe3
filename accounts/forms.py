"""Account and profile forms."""
import re
from types import SimpleNamespace

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, EmailField, FieldList, Form, FormField, IntegerField, PasswordField, SelectChoice,
    SelectField, StringField, SubmitField,
)
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from course.core.reference import BOARDS, LICENCE_TYPES, PROFESSIONS, US_STATES
from course.core.validation import one_line_name

from .models import User
from .passwords import password_problem
from .users import ProfileData

MAX_LICENCES = 20
LICENCE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,39}$")
STATE_CHOICES = [SelectChoice("", "State")] + [SelectChoice(code, code) for code in sorted(US_STATES)]
LICENCE_TYPE_CHOICES = [SelectChoice("", "Licence type")] + [
    SelectChoice(code, label) for code, label in LICENCE_TYPES.items()
]
BOARD_CHOICES = [SelectChoice("", "Board")] + [SelectChoice(code, f"{code}: {name}") for code, name in BOARDS.items()]
PROFESSION_CHOICES = [SelectChoice("", "Choose your profession")] + [
    SelectChoice(code, label) for code, label in PROFESSIONS.items()
]


def _first_name_field() -> StringField:
    return StringField("First name", validators=[DataRequired("Enter your first name."), one_line_name, Length(max=100)])


def _last_name_field() -> StringField:
    return StringField("Last name", validators=[DataRequired("Enter your last name."), one_line_name, Length(max=100)])


class RowList(FieldList):
    """A FieldList that holds at most `max_entries` rows whatever is saved or sent.

    WTForms asserts (a 500) when given more rows than its maximum, and takes a row index such
    as "²" for a number it then cannot convert; here the rows past the maximum are left out,
    only ASCII digits index a row, and `add_row` says whether there was room.
    """

    @staticmethod
    def _extract_indices(prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix + "-"):
                index = key[offset:].split("-", 1)[0]
                if index.isascii() and index.isdigit():
                    yield int(index)

    def process(self, formdata, data=unset_value, extra_filters=None):
        if data is not unset_value and data and self.max_entries:
            data = list(data)[: self.max_entries]
        super().process(formdata, data, extra_filters)

    @property
    def full(self) -> bool:
        return bool(self.max_entries) and len(self.entries) >= self.max_entries

    def add_row(self) -> bool:
        if self.full:
            return False
        self.append_entry()
        return True


class RegisterForm(FlaskForm):
    first_name = _first_name_field()
    last_name = _last_name_field()
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired("Choose a password.")])
    submit = SubmitField("Create account")

    @property
    def full_name(self) -> str:
        return f"{(self.first_name.data or '').strip()} {(self.last_name.data or '').strip()}"

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.email.data or "", self.full_name)
        if problem:
            raise ValidationError(problem)


class NewPasswordMixin:
    """Checks `new_password` against the password rules, knowing the account's email and name."""

    def __init__(self, *args, email: str = "", name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email, self._name = email, name

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", self._email, self._name)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."), Length(max=1024)])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    submit = SubmitField("Change password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    submit = SubmitField("Set new password")


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class LicenceForm(Form):
    """One licence row; a row left wholly blank is ignored."""

    state = SelectField("State", choices=STATE_CHOICES, validate_choice=False)
    licence_type = SelectField("Licence type", choices=LICENCE_TYPE_CHOICES, validate_choice=False)
    number = StringField("Licence number", validators=[Length(max=40)])

    def validate_licence_type(self, field):
        if field.data and field.data not in LICENCE_TYPES:
            raise ValidationError("Choose a licence type from the list.")
        if self.state.data and not field.data:
            raise ValidationError("Choose the type of this licence (RN, LPN/LVN, LCSW...).")

    def validate_state(self, field):
        if field.data and field.data not in US_STATES:
            raise ValidationError("Choose a state from the list.")
        if self.number.data and not field.data:
            raise ValidationError("Choose the state that issued this licence.")

    def validate_number(self, field):
        value = (field.data or "").strip()
        if self.state.data and not value:
            raise ValidationError("Enter the licence number.")
        if value and not LICENCE_NUMBER_RE.match(value):
            raise ValidationError("A licence number uses letters, digits, spaces, dots, hyphens or slashes.")


class BoardIdForm(Form):
    board = SelectField("Board", choices=BOARD_CHOICES, validate_choice=False)
    number = StringField("Board ID", validators=[Length(max=40)])

    def validate_board(self, field):
        if field.data and field.data not in BOARDS:
            raise ValidationError("Choose a board from the list.")
        if self.number.data and not field.data:
            raise ValidationError("Choose the board that issued this ID.")

    def validate_number(self, field):
        value = (field.data or "").strip()
        if self.board.data and not value:
            raise ValidationError("Enter the board ID.")
        if value and not re.fullmatch(r"[A-Za-z0-9\-]{1,40}", value):
            raise ValidationError("A board ID uses letters, digits and hyphens.")


class ProfileForm(FlaskForm):
    first_name = _first_name_field()
    last_name = _last_name_field()
    name = StringField(
        "Name on certificates",
        validators=[DataRequired("Enter the name your certificates should show."), one_line_name, Length(max=200)],
    )
    profession = SelectField(
        "Profession",
        choices=PROFESSION_CHOICES,
        validators=[DataRequired("Choose your profession.")],
    )
    licences = RowList(FormField(LicenceForm), min_entries=1, max_entries=MAX_LICENCES)
    board_ids = RowList(FormField(BoardIdForm), min_entries=1, max_entries=len(BOARDS))
    birth_month = IntegerField(
        "Birth month (1-12)", validators=[Optional(), NumberRange(1, 12, "Enter a month from 1 to 12.")]
    )
    birth_day = IntegerField(
        "Birth day (1-31)", validators=[Optional(), NumberRange(1, 31, "Enter a day from 1 to 31.")]
    )
    add_licence = SubmitField("Add another licence")
    add_board = SubmitField("Add another board ID")
    submit = SubmitField("Save profile")

    def number_rows(self) -> None:
        """Give each repeated row's fields labels with the row's number ("Licence 2 state")."""
        for index, entry in enumerate(self.licences.entries, start=1):
            entry.state.label.text = f"Licence {index} state"
            entry.licence_type.label.text = f"Licence {index} type"
            entry.number.label.text = f"Licence {index} number"
        for index, entry in enumerate(self.board_ids.entries, start=1):
            entry.board.label.text = f"Board {index}"
            entry.number.label.text = f"Board {index} ID"

    def validate_birth_day(self, field):
        if (field.data is None) != (self.birth_month.data is None):
            raise ValidationError("Enter both birth month and day, or neither.")
        if field.data and self.birth_month.data:
            days = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}.get(self.birth_month.data, 31)
            if field.data > days:
                raise ValidationError(f"That month has at most {days} days.")

    def validate_licences(self, field):
        seen = set()
        for entry in field.entries:
            key = (entry.state.data, (entry.number.data or "").strip().upper())
            if entry.state.data and key in seen:
                raise ValidationError("The same licence is listed twice.")
            seen.add(key)

    def validate_board_ids(self, field):
        boards = [entry.board.data for entry in field.entries if entry.board.data]
        if len(boards) != len(set(boards)):
            raise ValidationError("Each board can be listed once.")


def profile_defaults(user: User) -> SimpleNamespace:
    """The profile as it is now, for WTForms' `obj=`, with one blank row to add to each list."""
    return SimpleNamespace(
        name=user.name,
        first_name=user.first_name,
        last_name=user.last_name,
        profession=user.profession or "",
        licences=[SimpleNamespace(state=lic.state, licence_type=lic.type or "", number=lic.number) for lic in user.licences]
        + [SimpleNamespace(state="", licence_type="", number="")],
        board_ids=[SimpleNamespace(board=b.board, number=b.number) for b in user.board_ids]
        + [SimpleNamespace(board="", number="")],
        birth_month=user.birth_month,
        birth_day=user.birth_day,
    )


def profile_data(form: ProfileForm) -> ProfileData:
    return ProfileData(
        name=form.name.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        profession=form.profession.data,
        licences=[(e.state.data, e.licence_type.data, e.number.data) for e in form.licences.entries if e.state.data],
        board_ids=[(e.board.data, e.number.data) for e in form.board_ids.entries if e.board.data],
        birth_month=form.birth_month.data,
        birth_day=form.birth_day.data,
    )
