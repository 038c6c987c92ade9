"""How admin views turn service outcomes into responses: form errors next to their
field (status 400), flashed messages for one-button actions, 403 / 404 pages."""
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for

from ..services.errors import DomainError, Forbidden, NotFound
from .forms import EmptyForm


def form_status(form) -> int:
    """A submitted form that is shown again did not go through: 400."""
    return 400 if form.is_submitted() else 200


def abort_for(error: DomainError) -> None:
    """Missing things are 404 and refusals 403; other errors are the caller's to show."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, Forbidden):
        abort(403)


def attach_error(form, error: DomainError) -> None:
    """Show a service's refusal next to the field it names, else above the form."""
    abort_for(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def one_button(action: Callable[[], object], *, done: str, back: str) -> object:
    """A POST with nothing but a CSRF token: run `action`, flash, go back to `back`."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action()
    except DomainError as error:
        abort_for(error)
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(back)


def edit_page(form, save: Callable[[], object], *, done: str, back: str, title: str,
              template: str = "admin/form_page.html", **context):
    """A form page: valid input goes to `save`; errors re-render with status 400."""
    if form.validate_on_submit():
        try:
            save()
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(done, "success")
            return redirect(back)
    return render_template(template, form=form, title=title, back=back,
                           **context), form_status(form)


def posted_form():
    """The POSTed fields, even when there are none: a form of checkboxes with none ticked
    (and no CSRF token, in tests) must read as "none chosen", not "not submitted"."""
    return request.form if request.method == "POST" else None


def admin_url(endpoint: str, **values) -> str:
    return url_for(f"admin.{endpoint}", **values)
