"""Console forms of the agents' tools: tag rename/merge, custom field definitions."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import FIELD_KINDS
from ..web import choices
from .forms import MultiCheckboxField


class RenameTagForm(FlaskForm):
    tag = HiddenField(validators=[DataRequired()])
    new_name = StringField("New name", validators=[DataRequired("Give the new name."),
                                                   Length(max=50)])


class CustomFieldForm(FlaskForm):
    label = StringField("Label", validators=[DataRequired("Give the field a label."),
                                             Length(max=80)])
    key = StringField("Key", validators=[DataRequired("Give the field a key."),
                                         Length(max=40)],
                      description="Lower-case letters, digits and _; used in cf_KEY filters, "
                                  "the CSV export and the API.")
    kind = SelectField("Kind", choices=choices(FIELD_KINDS.items()))
    options = TextAreaField("Choices", validators=[Optional(), Length(max=5000)],
                            description="For choice and multiple choice: one per line.")
    required = BooleanField("Required")
    customer_visible = BooleanField("Customers see it", default=True,
                                    description="Untick for a field only agents see.")
    categories = MultiCheckboxField("Only in these categories", coerce=int)
    position = IntegerField("Position", default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])
    active = BooleanField("Active", default=True)
