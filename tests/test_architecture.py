"""The rules of the house that a reviewer should not have to check by eye.

- Dependencies point one way (blueprints -> services -> permissions -> models ->
  extensions) and blueprints do not import each other: the import-linter contracts in
  setup.cfg, run here so `make test` fails on a wrong-way import.
- No module imports a private (`_name`) name from another package.
- Only the unit of work commits.
- `ls migrations/versions` shows the migrations in revision order.
- Comments and docs name service modules that exist (they went stale once when the
  services were regrouped).
"""
import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "helpdesk"
VERSIONS = ROOT / "migrations" / "versions"
UNIT_OF_WORK = Path("services") / "unit_of_work.py"

LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='setup.cfg', no_cache=True, no_logo=True))"
)


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """Run the contracts of `project`/setup.cfg on the helpdesk package found in `project`."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([sys.executable, "-c", LINT_IMPORTS], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the package and its contracts, to break on purpose."""
    shutil.copytree(PACKAGE, tmp_path / "helpdesk",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


@pytest.mark.parametrize(("module", "line", "broken"), [
    # a model reaching up into the services
    ("models/tickets.py", "from helpdesk.services import audit", "helpdesk.models.tickets"),
    # a service importing a blueprint's form
    ("services/tickets/opening.py", "from helpdesk.agent import forms",
     "helpdesk.services.tickets.opening"),
    # the policy importing a service other than the pure workflow table
    ("permissions.py", "from helpdesk.services.tickets import status",
     "helpdesk.permissions"),
    # the extensions importing the models
    ("extensions.py", "import helpdesk.models", "helpdesk.extensions"),
    # one blueprint importing another
    ("portal/views.py", "from helpdesk.admin import handling", "helpdesk.portal.views"),
    ("admin/views.py", "from helpdesk.agent.views import queue", "helpdesk.admin.views"),
])
def test_a_wrong_way_import_breaks_the_contracts(project_copy, module, line, broken):
    path = project_copy / "helpdesk" / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "1 broken" in result.stdout
    assert broken in result.stdout


def test_a_new_top_level_module_must_be_placed_in_a_layer(project_copy):
    (project_copy / "helpdesk" / "mail.py").write_text('"""Not declared in setup.cfg."""\n')
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "helpdesk.mail" in result.stdout


# -- private names ------------------------------------------------------------------------

def python_modules(package: Path):
    for path in sorted(package.rglob("*.py")):
        yield path, ".".join(path.relative_to(package.parent).with_suffix("").parts)


def owner(module: str) -> str:
    """The package a module belongs to for privacy: helpdesk.services.<group> for the
    services (tickets, people, ... and each top-level service module), else
    helpdesk.<top-level module or blueprint>."""
    parts = module.removesuffix(".__init__").split(".")
    depth = 3 if parts[1:2] == ["services"] else 2
    return ".".join(parts[:depth])


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module name an `from ... import` statement reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[:len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports_across_packages(package: Path) -> list[str]:
    """`from x import _name` and `module._name` where x / module is another package's."""
    root = package.name
    found = []
    for path, module in python_modules(package):
        is_package = path.name == "__init__.py"
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        # names bound to helpdesk modules of other packages: `from ..people import directory`
        foreign_modules: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = resolve(module, is_package, node)
                if source.split(".")[0] != root:
                    continue
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    if owner(target) == owner(module) or owner(source) == owner(module):
                        continue
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(package.parent)}:{node.lineno}: "
                                     f"imports {alias.name} from {source}")
                    else:
                        foreign_modules[alias.asname or alias.name] = target
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == root and alias.asname:
                        if owner(alias.name) != owner(module):
                            foreign_modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in foreign_modules and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(package.parent)}:{node.lineno}: uses "
                             f"{node.attr} of {foreign_modules[node.value.id]}")
    return found


def test_no_module_imports_a_private_name_from_another_package():
    assert private_imports_across_packages(PACKAGE) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "helpdesk" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "helpdesk"


def test_the_private_name_check_finds_imports_across_service_packages(tmp_path):
    package = write_package(tmp_path, {
        "__init__.py": "",
        "services/__init__.py": "",
        "services/audit.py": "def _record(): ...\n",
        "services/people/__init__.py": "",
        "services/people/directory.py": "def _staff(): ...\ndef staff(): ...\n",
        "services/tickets/__init__.py": "",
        "services/tickets/status.py": "def _write(): ...\n",
        # the same package may share its private helpers
        "services/tickets/assignment.py": (
            "from .status import _write\n"
            "from ..people.directory import _staff\n"
            "from ..people import directory\n"
            "from .. import audit\n"
            "directory.staff()\n"
            "directory._staff()\n"
            "audit._record()\n"),
        "agent/__init__.py": "",
        "agent/views.py": "from helpdesk.services.tickets.status import _write\n",
    })
    assert private_imports_across_packages(package) == [
        "helpdesk/agent/views.py:1: imports _write from helpdesk.services.tickets.status",
        "helpdesk/services/tickets/assignment.py:2: imports _staff from "
        "helpdesk.services.people.directory",
        "helpdesk/services/tickets/assignment.py:6: uses _staff of "
        "helpdesk.services.people.directory",
        "helpdesk/services/tickets/assignment.py:7: uses _record of helpdesk.services.audit",
    ]


# -- commits ------------------------------------------------------------------------------

COMMIT = re.compile(r"\.commit\(")


def commits_outside_the_unit_of_work(package: Path) -> list[str]:
    return [f"{path.relative_to(package.parent)}:{number}: {line.strip()}"
            for path, _ in python_modules(package)
            if path.relative_to(package) != UNIT_OF_WORK
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if COMMIT.search(line)]


def test_only_the_unit_of_work_commits():
    assert (PACKAGE / UNIT_OF_WORK).is_file()
    assert COMMIT.search((PACKAGE / UNIT_OF_WORK).read_text())
    assert commits_outside_the_unit_of_work(PACKAGE) == []


def test_the_commit_check_finds_a_commit_elsewhere(tmp_path):
    package = write_package(tmp_path, {
        "services/unit_of_work.py": "db.session.commit()\n",
        "services/tickets/opening.py": "x = 1\n\n    db.session.commit()\n",
        "cli.py": "connection.commit( )\n",
    })
    assert commits_outside_the_unit_of_work(package) == [
        "helpdesk/cli.py:1: connection.commit( )",
        "helpdesk/services/tickets/opening.py:3: db.session.commit()",
    ]


# -- migrations ---------------------------------------------------------------------------

def test_migration_files_list_in_revision_order():
    scripts = ScriptDirectory(str(VERSIONS.parent))
    assert len(scripts.get_heads()) == 1, "one line of migrations, no branches"
    chain = [Path(revision.path).name for revision in reversed(list(scripts.walk_revisions()))]
    listed = sorted(path.name for path in VERSIONS.glob("*.py"))
    assert listed == chain
    for name in listed:
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", name), name
    assert len({name[:4] for name in listed}) == len(listed), "two files share a number"


# -- comments and docs that name service modules -----------------------------------------

SERVICE_REFERENCE = re.compile(r"(?:helpdesk[./])?services[./][a-z_][a-z0-9_./]*[a-z0-9_]")
IMPORT_LINE = re.compile(r"\s*(from|import)\s")


def resolves(reference: str) -> bool:
    """Whether "services.tickets.conversation.thread" (or a path) names a real module or
    something defined in one."""
    parts = reference.removesuffix(".py").replace("/", ".").removeprefix("helpdesk.").split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module("helpdesk." + ".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def stale_service_references(lines_by_file) -> list[str]:
    return [f"{name}:{number}: {reference}"
            for name, lines in lines_by_file
            for number, line in enumerate(lines, start=1) if not IMPORT_LINE.match(line)
            for reference in SERVICE_REFERENCE.findall(line) if not resolves(reference)]


def project_texts():
    paths = [*PACKAGE.rglob("*.py"), *(ROOT / "migrations").rglob("*.py"),
             *ROOT.glob("*.md"), ROOT / "setup.cfg"]
    for path in sorted(paths):
        yield str(path.relative_to(ROOT)), path.read_text().splitlines()


def test_comments_and_docs_name_service_modules_that_exist():
    assert stale_service_references(project_texts()) == []


def test_the_stale_reference_check_finds_a_moved_module():
    assert stale_service_references([("x.py", [
        "from .services.tickets import conversation",
        "# see services.tickets.conversation.thread and helpdesk/services/queue/search.py",
        "# the hook in helpdesk/services/search.py, services.tickets.thread()",
    ])]) == ["x.py:3: helpdesk/services/search.py", "x.py:3: services.tickets.thread"]
