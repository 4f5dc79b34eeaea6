"""How the engine matches a site's wording: tolerant names, destructive words it refuses, confirming words, languages.

Sites reword labels a little all the time ("Use data to improve Discord" / "Use my data to improve Discord").
A name in selectors/ matches the page's accessible name up to case, whitespace, punctuation, an optional
"my"/"your" and, for form controls, help text that follows the label inside it. Nothing looser: no edit
distance, because grabbing a neighbouring control is worse than failing.
"""

from __future__ import annotations

import re
from functools import cache

# Separators: whitespace and punctuation (ASCII, Latin-1, general punctuation such as curly quotes and dashes);
# every other character is part of a word (umlauts, CJK, ...). Written out, not as \W, because Playwright runs the
# same pattern as a JavaScript regex without the u flag; and small, because Python compiles a case-insensitive
# class over most of Unicode slowly.
_PUNCT = "\\s!-/:-@\\[-`{-~\u00a0-\u00bf\u2010-\u206f"
_SEP = f"[{_PUNCT}]+"
_OPTIONAL = ("my", "your")

# Words a control picked by its wording must never carry: clicking it would destroy something.
# English plus German, French and Spanish forms (verbs, nouns, imperatives).
DESTRUCTIVE = (
    "delete", "erase", "remove", "deactivate", "wipe", "clear history", "clear all",
    "löschen", "lösche", "löschung", "entfernen", "entferne", "deaktivieren", "deaktiviere",
    "supprimer", "supprimez", "suppression", "effacer", "effacez", "retirer", "désactiver", "désactivez",
    "eliminar", "elimina", "borrar", "borra", "quitar", "quita", "desactivar", "desactiva",
)

# What the confirming button of a "Turn off?" / "Are you sure?" dialog says (compared with tolerant matching).
CONFIRM = (
    "turn off", "switch off", "confirm", "yes", "ok", "okay", "continue", "opt out", "disable",
    "save", "done", "apply", "switch to private", "make private", "i understand",
)

# Language codes of <html lang> the detail names; anything else is named by its code.
LANGUAGES = {
    "ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nb": "Norwegian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}


def words(text: str) -> list[str]:
    return [w for w in re.split(_SEP, text.casefold()) if w]


def normalize(text: str) -> str:
    return " ".join(words(text))


@cache  # compiling a case-insensitive class over most of Unicode costs milliseconds; names repeat all run long
def name_pattern(name: str, *, exact: bool, trailing: bool = False) -> re.Pattern:
    """A case-insensitive pattern for an accessible name, tolerant as the module docstring defines.

    exact: the whole name, from its first word (trailing help text allowed when `trailing`); else anywhere.
    """
    tokens = [w for w in words(name) if w not in _OPTIONAL]
    if not tokens:
        return re.compile(re.escape(name), re.I)
    optional = "(?:(?:" + "|".join(_OPTIONAL) + f"){_SEP})?"
    body = _SEP.join(optional + re.escape(t) for t in tokens)
    if not exact:
        return re.compile(f"(?:^|[{_PUNCT}]){body}(?:$|[{_PUNCT}])", re.I)
    tail = f"(?:[{_PUNCT}].*)?" if trailing else f"[{_PUNCT}]*"
    return re.compile(f"^[{_PUNCT}]*{body}{tail}$", re.I | re.S)


def mentions(text: str, phrases: tuple[str, ...]) -> str:
    """The first phrase whose words start words of the text, in order ("AI model" in "AI models"), or ''."""
    folded = normalize(text)
    for phrase in phrases:
        tokens = words(phrase)
        if tokens and re.search(r"(?:^| )" + " ".join(re.escape(t) + r"\S*" for t in tokens), folded):
            return phrase
    return ""


def destructive(text: str) -> str:
    """The destructive word in a control's wording, or ''."""
    folded = normalize(text)
    return next((w for w in DESTRUCTIVE if re.search(rf"(?:^| ){re.escape(w)}", folded)), "")


def language_name(code: str) -> str:
    base = code.split("-")[0].casefold()
    return LANGUAGES.get(base, code)
