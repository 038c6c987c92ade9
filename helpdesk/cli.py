"""Flask commands: create-admin, seed-demo, autoclose (plus worker, mail). All safe to run
twice. Backup and restore (helpdesk/ops/).
"""
from pathlib import Path

import click
from flask import Flask

from .extensions import db
from .ops.backup import BackupError, create_backup
from .ops.restore import restore_backup
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


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Back up the database and all attachments into the folder DEST (new or empty)."""
    try:
        manifest = create_backup(dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = manifest["counts"]
    click.echo(f"Backed up {counts.get('tickets', 0)} tickets, "
               f"{counts.get('messages', 0)} messages and {len(manifest['files'])} files "
               f"(revision {manifest['alembic_revision']}) to {dest}.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace an instance that already holds people, tickets or files.")
def restore_command(src: Path, force: bool) -> None:
    """Restore a backup made by `flask backup` (checksums are verified first). Stop the
    web processes and workers before, run `flask db upgrade` after."""
    try:
        result = restore_backup(src, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts, manifest = result["counts"], result["manifest"]
    click.echo(f"Restored {counts.get('tickets', 0)} tickets, {counts.get('messages', 0)} "
               f"messages and {len(manifest['files'])} files from {src} "
               f"(made {manifest['created_at']}, revision {manifest['alembic_revision']}).")
    click.echo("Next: flask --app helpdesk db upgrade (if this code is newer), then start "
               "the web processes and workers.")


def init_app(app: Flask) -> None:
    from .mail_cli import mail_group
    from .worker import worker_command
    for command in (create_admin_command, seed_demo_command, autoclose_command,
                    worker_command, mail_group, backup_command, restore_command):
        app.cli.add_command(command)
    app.shell_context_processor(lambda: {"db": db})
