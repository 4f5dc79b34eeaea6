"""Proof of each opt-out: a replay keeps an image of each opted-out control (PII masked, 0600, a sidecar with when and
where), `optout-run report` puts them in an HTML page and a PDF that real Chromium and PDFium read back, proofs
go with their runs, and each platform says what opting out does not cover."""

from __future__ import annotations

import io
import json
import shutil
import stat
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

import flows
from runner import locate, proof, sitedata
from runner.history import History
from runner.replay import Scenario, render
from runner.results import Reason, Result, Status
from tests.conftest import FIXTURES, in_process, optout

USERNAME = "jane_doe_demo"  # the X scenario's account
PII = (  # put into the row of X's training checkbox: an avatar, the handle and an e-mail address next to the label
    '<div class="who"><img alt="Jane Doe avatar" width="24" height="24" src="data:image/svg+xml,'
    "<svg xmlns='http://www.w3.org/2000/svg' width='24' height='24'><circle cx='12' cy='12' r='12' fill='%231d9bf0'/></svg>\">"
    " <span>@jane_doe_demo</span> <span>jane.doe.demo@example.com</span></div>"
)
GROK_TEXT = "to be used for training and fine-tuning</span></div>"
MAGENTA = (255, 0, 255)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One replay for the module: X (its training row carrying a name, an avatar and an e-mail) and LinkedIn."""
    root = tmp_path_factory.mktemp("proofs")
    fixtures = root / "fixtures"
    for platform in ("x", "linkedin"):
        shutil.copytree(FIXTURES / platform, fixtures / platform)
    page = fixtures / "x" / "pages" / "grok_settings.html"
    text = page.read_text()
    assert text.count(GROK_TEXT) == 1
    page.write_text(text.replace(GROK_TEXT, GROK_TEXT.replace("</div>", PII + "</div>")))
    done = optout("-p", "x", "-p", "linkedin", "--replay", str(fixtures), "--json", env={"OPTOUT_HOME": str(root / "home")})
    assert done.returncode == 0, done.stderr
    (root / "home" / "run.json").write_text(done.stdout)
    return root / "home"


@pytest.fixture
def at_home(home, monkeypatch) -> Path:
    monkeypatch.setenv("OPTOUT_HOME", str(home))
    return home


def results_of(home: Path) -> dict[str, dict]:
    return {r["setting"]: r for r in json.loads((home / "run.json").read_text())["results"]}


def magenta(image: Image.Image) -> int:
    return dict((colour, n) for n, colour in image.convert("RGB").getcolors(1 << 24)).get(MAGENTA, 0)


# -- the proofs a run keeps -------------------------------------------------------------------------------------------


def test_each_opted_out_setting_has_a_private_proof_with_when_and_where(home):
    results = results_of(home)
    assert {k: r["status"] for k, r in results.items()} == {
        "grok_training": "changed", "partner_sharing": "changed", "ai_training": "changed"
    }
    data = home / "data"
    for setting, r in results.items():
        image = data / r["proof"]
        assert image.is_file() and r["proof"].startswith("proofs/")
        assert USERNAME not in r["proof"] and "example.com" not in r["proof"]  # names hashed, never a user name
        assert stat.S_IMODE(image.stat().st_mode) == 0o600
        for folder in (image.parent, image.parent.parent, data / "proofs"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        about = json.loads(proof.sidecar(image).read_text())
        assert stat.S_IMODE(proof.sidecar(image).stat().st_mode) == 0o600
        assert about["setting"] == setting and about["changed"] is True and about["platform"] == r["platform"]
        assert about["url"].startswith("https://") and "?" not in about["url"]
        assert about["taken_at"].endswith("Z")
        assert Image.open(image).size[1] < proof.ROW_HEIGHT  # the row, not the page


async def test_a_proof_is_the_opted_out_row_with_its_label_and_pii_masked(home, page):
    """The proof is pixel for pixel the row as Chromium draws it opted out with exactly the avatar, the handle and the
    e-mail masked; it is not the row as it looks exposed, and without the masks they would show."""
    results = results_of(home)
    kept = Image.open(home / "data" / results["grok_training"]["proof"]).convert("RGB")
    scenario = Scenario.load(FIXTURES / "x" / "exposed")
    template = (FIXTURES / "x" / "pages" / "grok_settings.html").read_text().replace(GROK_TEXT, GROK_TEXT.replace("</div>", PII + "</div>"))

    async def row_as(training: bool, masked: bool) -> Image.Image:
        await page.set_content(render(template, {**scenario.manifest["state"], "grok_training": training}))
        mask = [page.locator(".who img"), page.locator(".who span")] if masked else []  # the avatar, handle, e-mail
        shot = await page.locator("label.r-check").first.screenshot(mask=mask, mask_color=proof.MASK_COLOUR, animations="disabled")
        return Image.open(io.BytesIO(shot)).convert("RGB")

    opted_out = await row_as(training=False, masked=True)
    assert kept.size == opted_out.size
    assert ImageChops.difference(kept, opted_out).getbbox() is None  # identical
    assert ImageChops.difference(kept, await row_as(training=True, masked=True)).getbbox() is not None  # shows the state
    unmasked = await row_as(training=False, masked=False)
    assert magenta(kept) > 24 * 24 and magenta(unmasked) == 0  # the avatar alone is 24 x 24
    # Only the PII is covered, not the row: the label's words and the checkbox stay readable.
    assert magenta(kept) < kept.width * kept.height / 4


def test_a_row_without_pii_has_no_mask(home):
    partner = Image.open(home / "data" / results_of(home)["partner_sharing"]["proof"])
    assert magenta(partner) == 0


def test_a_proof_that_cannot_be_kept_costs_the_proof_not_the_result(optout_home):
    """A file where the proofs folder belongs: the disk refuses, the run still switches and says once what it lost."""
    (optout_home / "data").mkdir(parents=True)
    (optout_home / "data" / "proofs").write_text("in the way")
    done = optout("-p", "x", "--replay", "fixtures/x/exposed")
    assert done.returncode == 0, done.stderr
    assert "x jane_doe_demo grok_training: changed (switched)" in done.stdout
    assert "not saved: proofs in" in done.stderr and "Traceback" not in done.stderr
    assert "x does not cover: " in done.stdout  # one line per platform that ran, from its data


# -- what each platform does not cover --------------------------------------------------------------------------------


def test_every_platform_says_what_it_does_not_cover_in_platforms_and_results(home):
    _, out, _ = in_process("platforms")
    for name in flows.names():
        sentences = flows.load(name).site.not_covered
        assert sentences, f"selectors/{name}.toml: [flow] not_covered is missing"
        assert all(f"    * {s}" in out for s in sentences)
    document = json.loads((home / "run.json").read_text())
    assert document["not_covered"] == {p: list(flows.load(p).site.not_covered) for p in ("x", "linkedin")}


@pytest.mark.parametrize("value", ["[]", '[""]', '"one string"'])
def test_not_covered_must_be_a_list_of_sentences(tmp_path, monkeypatch, value):
    monkeypatch.setattr(sitedata, "selectors_dir", lambda: tmp_path)
    monkeypatch.setattr(locate, "selectors_dir", lambda: tmp_path)
    for cache in (locate.load, sitedata.load):
        cache.cache_clear()
    (tmp_path / "demo.toml").write_text(f'schema = 1\n\n[flow]\ntitle = "Demo"\nhome_url = "https://demo.example/"\nnot_covered = {value}\n')
    try:
        with pytest.raises(sitedata.DataError, match=r"demo.toml:6: flow.not_covered: must be"):
            sitedata.load("demo")
    finally:
        for cache in (locate.load, sitedata.load):
            cache.cache_clear()


# -- the report ---------------------------------------------------------------------------------------------------------


async def test_report_html_opened_in_chromium_has_a_row_and_a_loaded_proof_per_setting(at_home, tmp_path, page):
    target = tmp_path / "report.html"
    code, out, err = in_process("report", "--html", str(target))
    assert code == 0, err
    assert "3 settings, 3 proof images" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    html = target.read_text()
    assert 'src="http' not in html and "<link" not in html and "<script" not in html  # self-contained
    await page.goto(target.as_uri())
    rows = page.locator("article.setting")
    assert sorted(await rows.evaluate_all("els => els.map(e => e.dataset.setting)")) == [
        "ai_training", "grok_training", "partner_sharing"
    ]
    images = page.locator("article.setting figure img")
    assert await images.count() == 3
    assert await images.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png'))")
    uncovered = page.locator('section[data-platform="x"] .uncovered li')
    assert await uncovered.all_inner_texts() == list(flows.load("x").site.not_covered)
    grok = page.locator('article[data-setting="grok_training"]')
    assert "opted out" in await grok.locator(".state").inner_text()
    assert "switched to opted out and read back after a reload" in await grok.inner_text()
    await page.screenshot(path=str(tmp_path / "report-html.png"), full_page=True)
    assert (tmp_path / "report-html.png").stat().st_size > 10_000


def test_report_pdf_has_the_rows_their_proofs_and_what_is_not_covered(at_home, tmp_path):
    target = tmp_path / "report.pdf"
    code, out, err = in_process("report", "--pdf", str(target), "--since", "1d")
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    document = pdfium.PdfDocument(str(target))
    text = " ".join(" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document)))
    for setting in ("grok_training", "partner_sharing", "ai_training", "Use my data for training content creation AI models"):
        assert setting in text
    assert "What this does not cover" in text and "not unlearned" in text
    images = sum(len(list(document[i].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))) for i in range(len(document)))
    assert images >= 3
    for i in range(len(document)):  # as PNG pages, for a person to look at too
        png = tmp_path / f"report-page-{i + 1}.png"
        document[i].render(scale=1.5).to_pil().save(png)
        assert Image.open(png).convert("L").getextrema()[0] < 100  # something dark is printed on each page


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "choose where to write it"),
        (("--html", "/nonexistent-folder/report.html"), "the folder /nonexistent-folder does not exist"),
        (("--pdf", "/"), "is a directory"),
        (("--html", "r.html", "--since", "soon"), "--since 'soon'"),
    ],
)
def test_report_bad_input_is_one_line_and_exit_2(args, message):
    done = optout("report", *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_report_pdf_without_a_browser_is_one_line_and_exit_2(tmp_path):
    done = optout("report", "--pdf", str(tmp_path / "r.pdf"), env={"OPTOUT_CHROMIUM": str(tmp_path / "no-chromium")})
    assert done.returncode == 2
    assert "Chromium not found at" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_report_before_any_run_says_so(tmp_path):
    code, out, _ = in_process("report", "--html", str(tmp_path / "r.html"))
    assert code == 0 and "0 settings, 0 proof images" in out
    assert "No runs recorded yet" in (tmp_path / "r.html").read_text()


# -- pruning --------------------------------------------------------------------------------------------------------------


def test_proofs_of_pruned_runs_go_but_the_newest_proof_of_each_setting_stays(tmp_path):
    data = tmp_path / "data"

    def run(history: History, found: dict[str, bool]) -> str:
        """A run that read each setting opted out (True, with a proof file) or failed to read it (False)."""
        record = history.start_run(check=False, replay=True)
        results = []
        for setting, read in found.items():
            stored = ""
            if read:
                stored = f"proofs/{record.run_id}/x-0123456789/{setting}.png"
                (data / stored).parent.mkdir(parents=True, exist_ok=True)
                (data / stored).write_bytes(b"png")
                proof.sidecar(data / stored).write_text("{}")
            status = Status.COMPLIANT if read else Status.FAILED
            reason = Reason.ALREADY_OPTED_OUT if read else Reason.TIMEOUT
            results.append(Result("x", "jane", setting, status, reason, "", stored))
        record.record(results)
        record.finish(0)
        return record.run_id

    with History.open(data / "history.sqlite3") as history:
        first = run(history, {"grok_training": True, "partner_sharing": True})
        second = run(history, {"grok_training": True, "partner_sharing": False})  # latest keeps the first's proof
        history.prune(1)
        assert not (data / "proofs" / first / "x-0123456789" / "grok_training.png").exists()
        assert not (data / "proofs" / first / "x-0123456789" / "grok_training.json").exists()
        assert (data / "proofs" / first / "x-0123456789" / "partner_sharing.png").exists()  # still the newest proof
        assert (data / "proofs" / first / "x-0123456789" / "partner_sharing.json").exists()
        assert (data / "proofs" / second / "x-0123456789" / "grok_training.png").exists()
        third = run(history, {"partner_sharing": True})
        history.prune(1)
        assert not (data / "proofs" / first).exists()  # its last proof is no longer the newest
        left = sorted(p.name for p in (data / "proofs" / second).rglob("*"))
        assert left == ["grok_training.json", "grok_training.png", "x-0123456789"]  # grok's newest proof, bounded
        assert (data / "proofs" / third / "x-0123456789" / "partner_sharing.png").exists()
