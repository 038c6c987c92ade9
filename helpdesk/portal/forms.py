"""Portal forms: they check the shape of the input and never touch the database.
Category choices are handed in by the view (from services.tickets.customer)."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..validators import NumberRange
from ..web import choices, optional_id

RATING_MESSAGE = "Choose a rating from 1 to 5."
ATTACHMENTS_HELP = "Photos, PDFs, Office or text files. Choose several at once if you like."


def optional_int(value):
    """Select value -> int, with the blank choice as None."""
    if value in (None, "", "None"):
        return None
    return int(value)


class NewTicketForm(FlaskForm):
    subject = StringField("Subject", validators=[
        DataRequired(message="Give your ticket a subject."), Length(max=200)])
    description = TextAreaField("Description", validators=[
        DataRequired(message="Tell us what happened."), Length(max=20000)])
    # The service refuses a category that is not (or no longer) active.
    category = SelectField("Category", coerce=optional_id, validators=[Optional()],
                           validate_choice=False)
    order_reference = StringField("Order reference", validators=[Optional(), Length(max=100)],
                                  description="The order or delivery number, if there is one.")
    attachments = MultipleFileField("Attachments", description=ATTACHMENTS_HELP)
    follow_up = HiddenField()

    def set_categories(self, categories) -> None:
        self.category.choices = choices([("", "Not sure"), *categories])


class ReplyForm(FlaskForm):
    body = TextAreaField("Message", validators=[
        DataRequired(message="Write a message."), Length(max=20000)])
    attachments = MultipleFileField("Attachments", description=ATTACHMENTS_HELP)


# 1 to 5, each radio named by its number, with words beside it (contract: Rating).
RATING_WORDS = {1: "Very poor", 2: "Poor", 3: "Okay", 4: "Good", 5: "Excellent"}


class FeedbackForm(FlaskForm):
    rating = RadioField("Rating", coerce=optional_int, validate_choice=False,
                        choices=choices([(n, str(n)) for n in RATING_WORDS]),
                        validators=[InputRequired(message=RATING_MESSAGE),
                                    NumberRange(min=1, max=5, message=RATING_MESSAGE)])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=5000)])


# --- custom fields (admins define them; see services/fields) -----------------------------

class Required:
    """Marks a field required (label, `required` attribute) without refusing: whether it
    is needed depends on the category, which services.fields.values decides."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def custom_fields_form(fields, base=FlaskForm):
    """`base` plus one WTForms field per custom field, named cf_<key> and labelled with the
    field's own label (the checks of each kind are the service's: values.parse_one)."""
    class CustomFieldsForm(base):
        pass

    for f in fields:
        validators = [Required(), Optional()] if f.required else [Optional()]
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
