"""Scaffold a new platform: `./dev new-platform NAME [--title TITLE] [--origin https://www.example.com]`.

Writes, from scripts/templates/platform/ (every `__NAME__`-style placeholder filled in):
  flows/NAME.py                 the flow class: a name and a docstring
  selectors/NAME.toml           its data: locators, [flow], sign-in, states, one checkbox setting
  fixtures/NAME/pages/*.html    a sign-in page, a home page, a security check and a privacy page
  fixtures/NAME/<scenario>/     exposed, compliant, wrong-password, challenge, ui-changed
and adds the registry line to flows/__init__.py. What it writes passes tests/test_registry.py and its scenarios pass
tests/test_scenarios.py as they are; then CONTRIBUTING.md ("Add a platform") says how to make it the real site.
Standard library only; it never overwrites a file (and writes nothing when one is in the way).
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates" / "platform"
NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")
REGISTRY_OPEN = "REGISTRY: dict[str, str] = {"


class ScaffoldError(Exception):
    """Why nothing was written (one line)."""


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Flow"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ScaffoldError(f"--origin must be https://HOST with no path, like https://www.example.com, not {url!r}")
    return f"https://{parts.netloc}"


def placeholders(name: str, title: str, origin: str, today: str) -> dict[str, str]:
    host = urlsplit(origin).hostname or ""
    return {
        "__ORIGIN_RE__": re.escape(origin),  # inside a TOML literal string: regex escapes stay as written
        "__COOKIE_DOMAIN__": "." + host.removeprefix("www."),
        "__ORIGIN__": origin,
        "__CLASS__": class_name(name),
        "__TITLE__": title,
        "__TODAY__": today,
        "__NAME__": name,
    }


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():  # longest first: __ORIGIN_RE__ before __ORIGIN__
        text = text.replace(key, value)
    return text


def registered(root: Path) -> str:
    return (root / "flows" / "__init__.py").read_text(encoding="utf-8")


def with_registry_line(source: str, name: str) -> str:
    """flows/__init__.py with `"NAME": "flows.NAME:ClassFlow",` as the last entry of REGISTRY."""
    start = source.index(REGISTRY_OPEN)
    end = source.index("\n}", start)
    line = f'\n    "{name}": "flows.{name}:{class_name(name)}",'
    return source[:end] + line + source[end:]


def plan(root: Path, name: str, title: str, origin: str, today: str) -> dict[Path, str]:
    """Every file to write, with its text; raises ScaffoldError before anything is written."""
    if not NAME.fullmatch(name):
        raise ScaffoldError(f"NAME must be 1-31 of a-z, 0-9 and _, starting with a letter (it is the -p name): {name!r}")
    source = registered(root)
    if re.search(rf'^\s*"{re.escape(name)}"\s*:', source, re.M):
        raise ScaffoldError(f"{name} is already in flows/__init__.py")
    values = placeholders(name, title, origin, today)
    files = {}
    for template in sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = root / fill(str(template.relative_to(TEMPLATES)), values)
        files[target] = fill(template.read_text(encoding="utf-8"), values)
    in_the_way = [str(p.relative_to(root)) for p in files if p.exists()]
    if in_the_way:
        raise ScaffoldError(f"already there, nothing written: {', '.join(in_the_way)}")
    files[root / "flows" / "__init__.py"] = with_registry_line(source, name)
    return files


def scaffold(name: str, title: str = "", origin: str = "", root: Path = ROOT, today: str = "") -> list[Path]:
    """Write the platform; return the paths written (flows/__init__.py last)."""
    title = title or name.replace("_", " ").title()
    origin = origin_of(origin or f"https://www.{name.replace('_', '-')}.example")
    today = today or datetime.date.today().isoformat()
    files = plan(Path(root), name, title, origin, today)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev new-platform", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", metavar="NAME", help="the platform's name, as in `optout-run -p NAME`")
    parser.add_argument("--title", default="", help="how the platform writes its name (default: Name)")
    parser.add_argument("--origin", default="", help="the site's https origin (default: https://www.NAME.example)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # the tests scaffold into a copy
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.name, args.title, args.origin, args.root)
    except ScaffoldError as exc:
        print(f"new-platform: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"  {'edited' if path.name == '__init__.py' else 'wrote '} {path.relative_to(args.root)}")
    print(
        f"\n{args.name} passes the registry test as it is:\n"
        f"  ./dev test tests/test_registry.py -k {args.name}\n"
        f"  ./dev test tests/test_scenarios.py -k {args.name}\n"
        "Now make it the real site, step by step: CONTRIBUTING.md, \"Add a platform\" (every TEMPLATE mark goes)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
