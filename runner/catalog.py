"""The README's platform table, generated from the registry and each platform's data (a test keeps the README in step).

One source: each [[setting]] in selectors/<name>.toml says in a few words what it is (`summary`), and its opted-out
state comes from the data itself: on/off for a checkbox or switch, the choices of the [options] that set it
("Friends, or Only me"), the opted-out value of a choice, "one-way" for an action, "app only" for app steps.
A flow may put a few words before its settings (`[flow] summary`: "no AI opt-out exists").
"""

from __future__ import annotations

from itertools import groupby

import flows

HEADER = ["| platform | settings (opted-out state) |", "| --- | --- |"]


def state_words(site, spec: dict) -> str:
    """A setting's opted-out state in the words of the table."""
    if spec.get("app_steps"):
        return "app only: the run lists the taps"
    if spec.get("broken"):
        return "broken on the site now: switch it by hand"
    if spec.get("control", {}).get("kind") == "action":
        return "one-way"
    for option in site.options.values():  # an option of the user's config that sets it: its choices
        if any(spec["id"] in changes or "*" in changes for changes in option.get("when", {}).values()):
            return ", or ".join(option["choices"])
    value = spec["opted_out"]
    return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else str(value)


def settings_words(site, specs: list[dict]) -> str:
    """Settings in order; neighbours with the same state share it: "a, b (off); c (on)"."""
    groups = groupby(specs, key=lambda spec: state_words(site, spec))
    return "; ".join(f"{', '.join(s.get('summary', s['label']) for s in same)} ({state})" for state, same in groups)


def row(name: str) -> str:
    flow = flows.load(name)
    specs = list(flow.site.settings)
    text = settings_words(flow.site, [s for s in specs if s.get("default", True)])
    optional = [s for s in specs if not s.get("default", True)]
    if optional:
        text += f"; optional: {settings_words(flow.site, optional)}"
    if flow.site.flow.get("summary"):
        text = f"{flow.site.flow['summary']}: {text}"
    return f"| {flow.title} (`{name}`) | {text} |"


def readme_table() -> str:
    """The table under "Use it on your accounts" in README.md, one row per registered platform, in registry order."""
    return "\n".join(HEADER + [row(name) for name in flows.names()])


def write_readme(path) -> bool:
    """Replace the table in a README with the generated one; True when it changed."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start = text.index(HEADER[0])
    end = text.find("\n\n", start)
    end = len(text) if end < 0 else end
    new = text[:start] + readme_table() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # python -m runner.catalog [--write [README.md]]
    import sys

    if sys.argv[1:2] == ["--write"]:
        readme = sys.argv[2] if len(sys.argv) > 2 else "README.md"
        print(f"{readme}: platform table {'updated' if write_readme(readme) else 'already up to date'}")
    else:
        print(readme_table())


__all__ = ["readme_table", "state_words", "write_readme"]
