"""No secret anywhere: every scenario of every platform, run with a sentinel password, TOTP secret and session
cookie value, then everything the tool wrote is searched for them (and for the TOTP codes of the run's time).

The cookie belongs in one place only, the encrypted session store: decrypted, a session may hold it; nothing on
disk in the clear may (traces record every Cookie and Set-Cookie header unless scrubbed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from runner.replay import find_scenarios
from tests.conftest import FIXTURES, OPTOUT_RUN, ROOT

SENTINEL = "Sentinel-Pa55word-7f3a91"
TOTP = "SENTINELTOTPSECRETQ2XZ5KL7MN3OP4"
COOKIE = "Sentinel-Session-Cookie-4c19e2"  # the value the harness's sign-in sets as the session cookie


def sentinel_fixtures(target: Path) -> list[Path]:
    """A copy of fixtures/ whose accounts use the sentinel password and TOTP secret, and whose sign-ins set the
    sentinel cookie value."""
    shutil.copytree(FIXTURES, target)
    for manifest in target.glob("*/*/manifest.toml"):
        text = manifest.read_text()
        text = re.sub(r'(?m)^password = ".*"$', f'password = "{SENTINEL}"', text)
        text = re.sub(r'(?m)^totp = ".*"$', f'totp = "{TOTP}"', text)
        text = re.sub(r"(?m)^\[session\]$", f'[session]\ntoken = "{COOKIE}"', text)
        manifest.write_text(text)
    return sorted(m.parent for m in target.glob("*/*/manifest.toml"))


def codes(started: float, ended: float) -> set[str]:
    totp = pyotp.TOTP(TOTP)
    return {totp.at(t) for t in range(int(started) - 30, int(ended) + 31, 15)}


def texts(path: Path, replay_keys: list[bytes]):
    """Every byte string the file holds: as stored, unzipped, and (sessions) decrypted."""
    raw = path.read_bytes()
    yield str(path), raw
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield f"{path}!{name}", archive.read(name)
    if path.suffix == ".session":
        for key in replay_keys:
            try:
                yield f"{path} (decrypted)", Fernet(key).decrypt(raw)
            except InvalidToken:
                continue


def test_no_sentinel_anywhere_the_tool_writes(tmp_path):
    scenarios = sentinel_fixtures(tmp_path / "fixtures")
    assert len(scenarios) == len(find_scenarios(FIXTURES))
    homes = tmp_path / "homes"

    def run(scenario: Path) -> tuple[str, bytes]:
        platform = scenario.parent.name
        home = homes / f"{platform}-{scenario.name}"
        env = {**os.environ, "OPTOUT_HOME": str(home)}
        args = [OPTOUT_RUN, "-vv", "--trace", "-p", platform, "--replay", str(scenario)]
        done = subprocess.run([*args, "--json"], capture_output=True, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
        assert done.returncode != 2, done.stderr.decode()[-500:]
        return str(scenario), done.stdout + done.stderr

    started = time.time()
    with ThreadPoolExecutor(max_workers=4) as pool:  # the runs mostly wait (timeouts, frames), not compute
        outputs = list(pool.map(run, scenarios))
    needles = {SENTINEL.encode(), TOTP.encode()}
    code_pattern = re.compile(rb"(?<!\d)(" + b"|".join(c.encode() for c in codes(started, time.time())) + rb")(?!\d)")

    clock = re.compile(rb"\d\d:\d\d:\d\d\.\d+")  # microseconds in time stamps are not codes

    # A code exists only where a run typed one: elsewhere a 6-digit number in a trace is chance, not a leak.
    typing = [s for s in scenarios if "[two_factor]" in (s / "manifest.toml").read_text()]
    typed_in = {f"output of {s}" for s in typing} | {str(homes / f"{s.parent.name}-{s.name}") for s in typing}

    def found(where: str, data: bytes) -> list[str]:
        secrets = [where for n in needles if n in data]
        if COOKIE.encode() in data and not where.endswith(" (decrypted)"):
            secrets.append(f"{where} (session cookie)")
        if any(where == place or where.startswith(place + "/") for place in typed_in):
            secrets += [f"{where} (TOTP code)" for _ in code_pattern.finditer(clock.sub(b"", data))][:1]
        return secrets

    hits = []
    for where, output in outputs:
        hits += found(f"output of {where}", output)
    keys = [p.read_bytes().strip() for p in homes.rglob("replay-session.key")]
    files = [p for p in homes.rglob("*") if p.is_file()]
    assert any(p.suffix == ".session" for p in files) and any(p.name == "trace.zip" for p in files)
    assert any(p.suffix in (".db", ".sqlite", ".sqlite3") for p in files), "the history database was written"
    decrypted = []
    for path in files:
        for where, data in texts(path, keys):
            hits += found(where, data)
            decrypted += [data] if where.endswith(" (decrypted)") else []
    assert hits == []
    assert any(COOKIE.encode() in data for data in decrypted), "the sentinel cookie was set, and only the store holds it"
