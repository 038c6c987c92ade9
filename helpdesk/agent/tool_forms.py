"""Forms of the agents' tools: saved views, macros, custom fields. They check input and
never touch the database (choices from data are filled in by the views)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import STATUS_LABELS, Status
from ..web import choices
from .forms import PRIORITY_PAIRS, custom_fields_form, custom_values  # noqa: F401

NO_CHANGE = ("", "No change")


class SaveViewForm(FlaskForm):
    view_name = StringField("View name", validators=[DataRequired("Name the view."),
                                                     Length(max=80)])
    share = SelectField("Who sees it", choices=choices([("personal", "Only me")]),
                        validate_choice=False, default="personal")
    query = HiddenField()


class MoveViewForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])


class MacroForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the macro a title."),
                                             Length(max=120)])
    body = TextAreaField("Reply text", validators=[Optional(), Length(max=20000)],
                         description="Markdown. Placeholders: {{ customer.name }}, "
                                     "{{ customer.first_name }}, {{ ticket.number }}, "
                                     "{{ ticket.subject }}, {{ agent.name }} …",
                         render_kw={"rows": 6})
    shared = BooleanField("Shared with every agent",
                          description="Only admins share macros.")
    status = SelectField("Set status", choices=choices([NO_CHANGE] + [
        (s.value, STATUS_LABELS[s]) for s in Status]), validate_choice=False)
    priority = SelectField("Set priority", choices=choices([NO_CHANGE, *PRIORITY_PAIRS]),
                           validate_choice=False)
    team_id = SelectField("Set team", choices=choices([NO_CHANGE]), validate_choice=False)
    assignee = SelectField("Set assignee", choices=choices([NO_CHANGE]),
                           validate_choice=False)
    add_tags = StringField("Add tags", validators=[Optional(), Length(max=300)],
                           render_kw={"list": "tag-suggestions", "autocomplete": "off"})
    remove_tags = StringField("Remove tags", validators=[Optional(), Length(max=300)],
                              render_kw={"list": "tag-suggestions", "autocomplete": "off"})


class ApplyMacroForm(FlaskForm):
    macro = SelectField("Macro", validate_choice=False,
                        validators=[DataRequired("Choose a macro.")])
    internal = BooleanField("As an internal note")


class PreviewForm(FlaskForm):
    body = TextAreaField("Message", validators=[Optional(), Length(max=20000)])
