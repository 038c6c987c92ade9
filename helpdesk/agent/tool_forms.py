"""Forms of the agents' tools: saved views, macros, custom fields. They check input and
never touch the database (choices from data are filled in by the views)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..models import STATUS_LABELS, Status
from ..web import choices
from .forms import PRIORITY_PAIRS

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


def custom_fields_form(fields, *, prefix_csrf: bool = False):
    """A form class with one WTForms field per custom field, named cf_<key> and labelled
    with the field's own label (checks of each kind are the service's: values.parse_one)."""
    class CustomFieldsForm(FlaskForm):
        class Meta:
            csrf = prefix_csrf

    for f in fields:
        validators = [InputRequired(f"{f.label} is required.")] if f.required else [Optional()]
        name = f"cf_{f.key}"
        if f.kind == "text":
            field = StringField(f.label, validators=[*validators, Length(max=500)])
        elif f.kind == "number":
            field = DecimalField(f.label, validators=validators)
        elif f.kind == "date":
            field = DateField(f.label, validators=validators)
        elif f.kind == "yesno":
            field = SelectField(f.label, choices=choices([("", "—"), ("yes", "Yes"),
                                                          ("no", "No")]),
                                validators=validators)
        elif f.kind == "choice":
            field = SelectField(f.label, choices=choices([("", "—")]
                                                         + [(c, c) for c in f.choices]),
                                validators=validators)
        else:  # multi
            field = SelectMultipleField(
                f.label, choices=choices([(c, c) for c in f.choices]), validators=validators,
                widget=widgets.ListWidget(prefix_label=False),
                option_widget=widgets.CheckboxInput())
        setattr(CustomFieldsForm, name, field)
    return CustomFieldsForm


def custom_values(form) -> dict:
    """{cf_<key>: value} from a CustomFieldsForm, for services.fields.values."""
    return {name: field.data for name, field in form._fields.items()
            if name.startswith("cf_")}
