"""The web desk is an adapter (docs/ARCHITECTURE.md): the workflow never imports it, and the
tables it keeps load without its web framework (the migrations import them)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "mailbot"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_workflow_never_imports_the_web_desk():
    for path in (ROOT / "workflow").glob("*.py"):
        assert not any(name.startswith("mailbot.web") for name in _imports(path)), path.name


def test_the_web_desks_tables_load_without_starlette():
    code = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
            "import mailbot.web.models, mailbot.workflow.db\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
