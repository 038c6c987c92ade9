"""Form validators shared by the blueprints' forms."""
from wtforms.validators import NumberRange as _NumberRange
from wtforms.validators import StopValidation

# Larger than any count, hour or rating we store, small enough for every database.
LARGEST = 10**9


class NumberRange(_NumberRange):
    """WTForms' NumberRange, safe for absurdly large integers: the original converts the
    value to float for its NaN check, which raises OverflowError (a 500) on 10**400."""

    def __call__(self, form, field):
        data = field.data
        if isinstance(data, int) and abs(data) > LARGEST:
            raise StopValidation(self.message or "Enter a smaller number.")
        super().__call__(form, field)
