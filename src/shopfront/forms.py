"""Flask-WTF forms; every one carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = StringField("Email", validators=[
        DataRequired(), Length(max=255), Regexp(r"^[^@\s]+@[^@\s]+$", message="Not an email."),
    ])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SettingsForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
