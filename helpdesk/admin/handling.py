"""How admin views turn service outcomes into responses: a form page that re-renders
with the refusal next to its field, one-button actions that flash and go back.
The refusal mapping itself is helpdesk.web's, shared with the other blueprints."""
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for

from ..services.errors import DomainError
from ..web import EmptyForm, form_status, refusal_status, refuse, show_refusal


def one_button(action: Callable[[], object], *, done: str, back: str) -> object:
    """A POST with nothing but a CSRF token: run `action`, flash, go back to `back`.
    Missing things and refusals of the role are error pages; the rest is flashed."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action()
    except DomainError as error:
        if refusal_status(error) in (403, 404):
            refuse(error)
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(back)


def edit_page(form, save: Callable[[], object], *, done: str, back: str, title: str,
              template: str = "admin/form_page.html", **context):
    """A form page: valid input goes to `save`; errors re-render with 400 (or the
    refusal's own status: 403, 409)."""
    status = form_status(form)
    if form.validate_on_submit():
        try:
            save()
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            flash(done, "success")
            return redirect(back)
    return render_template(template, form=form, title=title, back=back,
                           **context), status


def posted_form():
    """The POSTed fields, even when there are none: a form of checkboxes with none ticked
    (and no CSRF token, in tests) must read as "none chosen", not "not submitted"."""
    return request.form if request.method == "POST" else None


def admin_url(endpoint: str, **values) -> str:
    return url_for(f"admin.{endpoint}", **values)
