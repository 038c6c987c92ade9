"""Flask commands: create-admin, seed-demo, autoclose. All safe to run twice."""
import click
from flask import Flask

from .extensions import db
from .services import demo
from .services.catalog.defaults import install_defaults
from .services.people import accounts
from .services.tickets import housekeeping

MIN_PASSWORD_LENGTH = 8


class Password(click.ParamType):
    """A password of at least MIN_PASSWORD_LENGTH characters; typed at a prompt, a
    refusal asks again."""

    name = "password"

    def convert(self, value, param, ctx) -> str:
        if len(value) < MIN_PASSWORD_LENGTH:
            self.fail(f"use at least {MIN_PASSWORD_LENGTH} characters", param, ctx)
        return value


@click.command("create-admin")
@click.option("--email", required=True)
# Without --password the password is asked for (hidden, twice), so it never lands in
# the shell's history; scripts may pass it in HELPDESK_ADMIN_PASSWORD instead.
@click.option("--password", type=Password(), prompt=True, hide_input=True,
              confirmation_prompt=True, envvar="HELPDESK_ADMIN_PASSWORD",
              help="Asked for when left out (or read from HELPDESK_ADMIN_PASSWORD).")
@click.option("--name", default=None)
def create_admin_command(email: str, password: str, name: str | None) -> None:
    """Create the first admin (or make an existing account admin)."""
    install_defaults()  # a fresh install gets categories, SLA targets and settings
    user, created = accounts.create_admin(email=email, password=password, name=name)
    click.echo(f"{'Created' if created else 'Updated'} admin {user.email}.")


@click.command("seed-demo")
@click.option("--tickets", default=200, show_default=True, type=click.IntRange(min=0),
              help="Make sure at least this many tickets exist.")
def seed_demo_command(tickets: int) -> None:
    """Demo users, reference data and tickets."""
    with click.progressbar(length=tickets, label="Seeding tickets") as bar:
        added = demo.seed_demo(tickets, progress=bar.update)
    click.echo(f"Added {added} tickets." if added else "Demo tickets already present.")
    click.echo("Demo logins (password: demo-password):")
    for email, _name, role in demo.DEMO_USERS:
        click.echo(f"  {role:<8} {email}")


@click.command("autoclose")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Override the setting: close tickets resolved more than this many days ago.")
def autoclose_command(days: int | None) -> None:
    """Close resolved tickets after the auto-close period (setting autoclose_days)."""
    closed = housekeeping.autoclose(days=days)
    click.echo(f"Closed {closed} resolved ticket{'' if closed == 1 else 's'}.")


def init_app(app: Flask) -> None:
    from .worker import worker_command
    for command in (create_admin_command, seed_demo_command, autoclose_command,
                    worker_command):
        app.cli.add_command(command)
    app.shell_context_processor(lambda: {"db": db})
