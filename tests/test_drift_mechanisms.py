"""The engine's drift mechanisms, each provoked on a variant of X's Grok page in real Chromium.

Each test edits a copy of fixtures/x (the page, the manifest) the way a site drifts, and checks the honest outcome
and the site state behind it. Platform-level drifts live as scenarios under fixtures/*/drift-*.
"""

from __future__ import annotations

import re
import time

import pytest

from runner import wording
from runner.replay import Scenario
from tests.conftest import replay_run
from tests.test_scenarios import assert_no_false_done

GROK_BOX = '<input aria-describedby="CHECKBOX_1_LABEL" name="allow_grok_training" type="checkbox" {{checked:grok_training}}>'


@pytest.fixture
def grok_variant(scenario_copy):
    """A copy of x/exposed whose Grok page (and manifest) a test rewrites; only the Grok setting is checked."""

    def make(edit_page=None, edit_manifest=None, reload_page=None) -> Scenario:
        root = scenario_copy("x")
        page = root / "pages" / "grok_settings.html"
        html = page.read_text()
        assert GROK_BOX in html
        if edit_page:
            page.write_text(edit_page(html))
        manifest = root / "exposed" / "manifest.toml"
        text = manifest.read_text()
        if reload_page:
            (root / "pages" / "grok_reload.html").write_text(reload_page(html))
            text = text.replace('file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\nreload_file = "../pages/grok_reload.html"')
        if edit_manifest:
            text = edit_manifest(text)
        manifest.write_text(text)
        return Scenario.load(root / "exposed")

    return make


async def grok_result(browser, scenario, **options):
    results, harnesses = await replay_run(browser, scenario, **options)
    assert_no_false_done(scenario, results, harnesses)
    grok = next(r for r in results if r.setting == "grok_training")
    return grok, harnesses[0]


def script(body: str) -> str:
    return f"<script>{body}</script></body>"


# -- settled reads ---------------------------------------------------------------------------------------------------


async def test_a_disabled_placeholder_is_not_read_as_the_value(browser, grok_variant):
    """The box renders unchecked and disabled, the account's real value (on) 300 ms later."""
    scenario = grok_variant(
        lambda html: html.replace(GROK_BOX, GROK_BOX.replace("{{checked:grok_training}}", "disabled")).replace(
            "</body>",
            script(
                "setTimeout(() => { const b = document.querySelector('[name=allow_grok_training]');"
                " b.checked = {{json:grok_training}}; b.disabled = false; }, 300);"
            ),
        )
    )
    grok, harness = await grok_result(browser, scenario, check=True)
    assert f"{grok.status.value}/{grok.reason.value}" == "non_compliant/exposed"


async def test_an_unmarked_late_value_is_waited_for(browser, grok_variant):
    """No disabled, no busy marker: the page's own 300 ms timer still counts as loading."""
    scenario = grok_variant(
        lambda html: html.replace(GROK_BOX, GROK_BOX.replace("{{checked:grok_training}}", "")).replace(
            "</body>", script("setTimeout(() => { document.querySelector('[name=allow_grok_training]').checked = {{json:grok_training}}; }, 300);")
        )
    )
    grok, _ = await grok_result(browser, scenario, check=True)
    assert f"{grok.status.value}/{grok.reason.value}" == "non_compliant/exposed"


async def test_a_cached_value_that_flips_after_the_reload_is_a_mismatch(browser, grok_variant):
    """The save is ignored; after the reload the page shows an optimistic 'off' that flips to the truth 500 ms later."""
    scenario = grok_variant(
        reload_page=lambda html: html.replace(GROK_BOX, GROK_BOX.replace("{{checked:grok_training}}", "")).replace(
            "</body>", script("setTimeout(() => { document.querySelector('[name=allow_grok_training]').checked = {{json:grok_training}}; }, 500);")
        ),
        edit_manifest=lambda text: text.replace("status = 200\n", "status = 200\napply = false\n", 1),
    )
    grok, harness = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "failed/verify_mismatch"
    assert harness.state["grok_training"] is True


async def test_a_control_that_stays_disabled_fails_with_its_own_detail(browser, grok_variant):
    scenario = grok_variant(lambda html: html.replace(GROK_BOX, GROK_BOX.replace("{{checked:grok_training}}", "disabled checked")))
    grok, harness = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "failed/timeout"
    assert "stayed disabled" in grok.detail and harness.saves <= 1


async def test_a_page_that_answers_after_the_timeout_is_a_timeout_not_a_redesign(browser, grok_variant):
    scenario = grok_variant(
        edit_manifest=lambda text: text.replace(
            'file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\ndelay_ms = 4000'
        )
    )
    started = time.monotonic()
    grok, _ = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "failed/timeout"
    assert time.monotonic() - started < 25  # bounded by the 3 s replay timeout, not Playwright's 30 s default


# -- overlays and dialogs --------------------------------------------------------------------------------------------

COOKIE_BANNER = """<div role="dialog" aria-label="Cookie preferences" style="position:fixed;inset:0;background:rgba(0,0,0,.4)">
  <div style="background:#fff;margin:20% auto;width:400px;padding:16px"><p>We use cookies to improve X.</p>
  <button type="button" onclick="this.closest('[role=dialog]').remove()">Accept all cookies</button>
  <button type="button" onclick="this.closest('[role=dialog]').remove()">Refuse non-essential cookies</button></div></div>"""


async def test_a_cookie_banner_over_the_setting_is_declined_then_the_switch_is_made(browser, grok_variant):
    scenario = grok_variant(lambda html: html.replace("</body>", COOKIE_BANNER + "</body>"))
    grok, _ = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "changed/switched"


async def test_a_blocked_click_costs_the_run_timeout_not_playwrights_30_s(browser, grok_variant):
    cover = '<div style="position:fixed;inset:0;z-index:9" aria-hidden="true"></div>'
    scenario = grok_variant(lambda html: html.replace("</body>", cover + "</body>"))
    started = time.monotonic()
    grok, harness = await grok_result(browser, scenario)
    assert grok.status.value == "failed" and harness.state["grok_training"] is True
    assert time.monotonic() - started < 25


def confirm_dialog(title: str, buttons: str) -> str:
    """A page script that asks before saving, as X's EU confirmation sheet does."""
    return script(
        "const box = document.querySelector('[name=allow_grok_training]');"
        "box.addEventListener('click', (e) => { if (window.asked) return; e.preventDefault(); e.stopImmediatePropagation();"
        f" const d = document.createElement('div'); d.setAttribute('role', 'alertdialog'); d.innerHTML = `<h2>{title}</h2>{buttons}`;"
        " document.body.appendChild(d);"
        " d.querySelectorAll('button').forEach((b) => b.addEventListener('click', () => { d.remove();"
        "   if (b.dataset.yes) { window.asked = true; box.click(); } })); }, true);"
    )


async def test_a_confirmation_that_names_the_action_is_confirmed(browser, grok_variant):
    buttons = '<button>Cancel</button><button data-yes="1">Turn off</button>'
    scenario = grok_variant(lambda html: html.replace("</body>", confirm_dialog("Turn off Grok training?", buttons)))
    grok, _ = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "changed/switched"


async def test_a_destructive_confirming_button_is_never_pressed(browser, grok_variant):
    buttons = '<button>Cancel</button><button data-yes="1">Turn off and delete conversation history</button>'
    scenario = grok_variant(lambda html: html.replace("</body>", confirm_dialog("Turn off Grok training?", buttons)))
    grok, harness = await grok_result(browser, scenario)
    assert grok.status.value == "failed" and harness.state["grok_training"] is True


async def test_a_dialog_about_something_else_is_not_confirmed(browser, grok_variant):
    buttons = '<button>Cancel</button><button data-yes="1">Continue</button>'
    scenario = grok_variant(lambda html: html.replace("</body>", confirm_dialog("Rate your experience with X", buttons)))
    grok, harness = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "failed/selector_not_found"
    assert "Rate your experience with X" in grok.detail and harness.state["grok_training"] is True


# -- structure and wording -------------------------------------------------------------------------------------------


async def test_a_target_in_a_collapsed_section_is_opened_and_switched(browser, grok_variant):
    def collapse(html: str) -> str:
        start = html.index('<div><h3 role="heading"><span>Data sharing</span>')
        end = html.index('<div><h3 role="heading"><span>Personalization</span>')
        return html[:start] + "<details><summary>Data sharing</summary>" + html[start:end] + "</details>" + html[end:]

    grok, _ = await grok_result(browser, grok_variant(collapse))
    assert f"{grok.status.value}/{grok.reason.value}" == "changed/switched"


async def test_a_visually_hidden_input_is_switched_through_its_label(browser, grok_variant):
    hidden = 'style="position:absolute;width:1px;height:1px;opacity:0;margin:0"'
    scenario = grok_variant(lambda html: html.replace(GROK_BOX, GROK_BOX.replace("<input ", f"<input {hidden} ")))
    grok, _ = await grok_result(browser, scenario)
    assert f"{grok.status.value}/{grok.reason.value}" == "changed/switched"


async def test_a_page_in_an_uncovered_language_says_so(browser, grok_variant):
    def polish(html: str) -> str:
        html = html.replace('<html lang="en"', '<html lang="pl"').replace(GROK_BOX, GROK_BOX.replace('name="allow_grok_training" ', ""))
        html = html.replace('aria-describedby="CHECKBOX_1_LABEL" ', "")
        return html.replace(
            "Allow your public data as well as your interactions, inputs, and results with Grok and xAI to be used for training and fine-tuning",
            "Zezwalaj na trenowanie",
        )

    grok, harness = await grok_result(browser, grok_variant(polish))
    assert f"{grok.status.value}/{grok.reason.value}" == "failed/selector_not_found"
    assert "X shows its pages in Polish" in grok.detail and harness.state["grok_training"] is True


@pytest.mark.parametrize(
    "wanted, page, exact, matches",
    [
        ("Use data to improve Discord", "Use my data to improve Discord", True, True),
        ("Use data to improve Discord", "use data to improve discord.", True, True),
        ("Private account", "Private  account Only followers you approve can see", True, False),
        ("My contacts", "My contacts except…", True, False),
        ("Use data to improve Discord", "Use data to personalize my Discord experience", True, False),
        ("training and fine-tuning", "…to be used for Training and fine tuning", False, True),
    ],
)
def test_names_tolerate_small_rewordings_and_nothing_more(wanted, page, exact, matches):
    assert bool(wording.name_pattern(wanted, exact=exact).search(page)) is matches


def test_a_control_label_may_carry_trailing_help_text():
    pattern = wording.name_pattern("Private account", exact=True, trailing=True)
    assert pattern.search("Private account Only followers you approve can see your posts")
    assert not pattern.search("Make my private account public")


@pytest.mark.parametrize(
    "text", ["Turn off and delete activity", "Konversationsprotokoll löschen", "Supprimer l'historique", "Borrar todo", "Remove"]
)
def test_destructive_words_are_recognised_in_four_languages(text):
    assert wording.destructive(text)


def test_a_plain_confirmation_is_not_destructive():
    assert not wording.destructive("Turn off") and not wording.destructive("Switch to private account")


def test_mentions_match_words_in_order_from_their_start():
    assert wording.mentions("LinkedIn doesn't use data to train content-generating AI models.", ("AI model",)) == "AI model"
    assert not wording.mentions("Verified badges are not available in your region.", ("AI model", "train"))
    assert re.fullmatch(r"[A-Z][a-z]+", wording.language_name("pl-PL"))


async def test_the_account_deadline_stops_a_hung_account_with_a_timeout(browser, grok_variant):
    """Each wait is within the timeout, but together they outlast the account's deadline."""
    slow = lambda text: text.replace('file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\ndelay_ms = 2500')
    started = time.monotonic()
    results, harnesses = await replay_run(browser, grok_variant(edit_manifest=slow), account_deadline_s=2)
    assert {f"{r.status.value}/{r.reason.value}" for r in results} == {"failed/timeout"}
    assert all("account deadline (2 s)" in r.detail for r in results)
    assert harnesses[0].state["grok_training"] is True and time.monotonic() - started < 20


async def test_declared_ready_and_skeleton_markers_hold_the_read_back(page, monkeypatch):
    """A platform's `ready` locator must show and its `skeleton` must go before the page counts as settled."""
    from runner import locate
    from runner.locate import Locators
    from runner.settle import Unsettled, page_settled

    table = {"ready": ({"css": "main[data-loaded]"},), "skeleton": ({"css": ".skeleton"},)}
    monkeypatch.setattr(locate, "load", lambda platform: table)
    loc = Locators("test", timeout_ms=1500)
    await page.set_content("<main><h1>Settings</h1><div class='skeleton'>loading</div></main>")
    with pytest.raises(Unsettled, match="ready"):
        await page_settled(page, loc)
    await page.evaluate(
        "setTimeout(() => { document.querySelector('main').dataset.loaded = '1'; document.querySelector('.skeleton').remove(); }, 200)"
    )
    await page_settled(page, loc)
    assert await page.locator(".skeleton").count() == 0
