"""Scrubbing a captured page before anything is written: what stays is the page's structure and the platform's
own wording, which is what locators need; what goes is everything about the person and every secret.

The browser already parsed the page: runner/capture.py hands over its node tree (tags, attributes, text, open
shadow roots, the live states of controls), so no second HTML parser can disagree with the browser about where a
tag or a script ends, which is how scrubbers that work on markup leak. This module scrubs that tree and writes it
out as static HTML, declarative shadow DOM included.

Replaced, wherever they appear (text, attributes, URLs, inline JSON, scripts, <meta>, CSS):
- the account's identity: its user name (and an e-mail's local part) as given, plus names harvested from the page's
  own data about its viewer (display name, handle), each by a stable placeholder (person1, person2, ...);
- e-mail addresses, phone numbers, long numeric ids (each distinct id by a distinct id of the same length);
- secrets: values of fields, keys and query parameters named like tokens, CSRF, nonces, cookies, sessions,
  passwords; hidden inputs; long random-looking strings; `nonce` and `integrity` attributes;
- avatar and media URLs (images, video, srcset, poster, CSS url()) by an inline one-pixel placeholder;
- free text of posts, messages, bios and other people's names (text inside post-, message- and person-like
  containers that is not the platform's wording) by neutral text of the same length;
- scripts and inline event handlers, unless kept; JSON data blocks stay, scrubbed, because flows read them.
Kept: tags, roles, aria-*, data-testid, name/id attributes, labels and the platform's UI wording.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from runner.wording import normalize

MEDIA_PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
SECRET = "scrubbed"
EMAIL_PLACEHOLDER = "person@example.invalid"
PHONE_PLACEHOLDER = "+1 555 0100"

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
RAW_TEXT = frozenset(("script", "style"))
DATA_TYPES = ("application/json", "application/ld+json")
MEDIA_TAGS = frozenset(("img", "image", "source", "video", "audio", "track", "picture"))
URL_ATTRS = frozenset(("href", "src", "action", "formaction", "poster", "data", "cite", "background", "ping", "xlink:href"))
MEDIA_ATTRS = frozenset(("src", "poster", "xlink:href", "href"))  # on MEDIA_TAGS (and <image> in SVG)
STRUCTURAL = frozenset(("class", "style", "d", "points", "viewbox", "transform", "role", "data-testid", "type"))
DROPPED_ATTRS = frozenset(("nonce", "integrity"))
DROPPED_LINKS = frozenset(("icon", "apple-touch-icon", "preload", "prefetch", "preconnect", "dns-prefetch", "manifest", "modulepreload", "stylesheet"))
FREE_META = frozenset(("description", "og:title", "og:description", "twitter:title", "twitter:description"))
MEDIA_META = frozenset(("og:image", "og:image:url", "og:image:secure_url", "og:video", "twitter:image", "twitter:image:src"))

# What a field, key, parameter or attribute is called when it holds a secret.
SECRET_NAME = re.compile(
    r"token|csrf|xsrf|nonce|secret|session|cookie|bearer|passw|\botp|totp|signature|jwt|api_?key|access_?key|"
    r"private_?key|auth|fb_dtsg|\blsd\b|jazoest|credential",
    re.I,
)
# Keys of page data that name the person; a bare "name" counts under a USERISH parent.
IDENTITY_KEY = re.compile(
    r"^(display_?name|full_?name|screen_?name|user_?name|handle|nick_?name|first_?name|last_?name|e_?mail|"
    r"email_?address|phone(_?number)?|vanity)$",
    re.I,
)
USERISH = re.compile(r"^(user|viewer|account|me|profile|owner|author|actor|blogs?|person|people|friends?|followers?|"
                     r"following|contacts?|members?|participants?|sender|recipient|self|current_?user)$", re.I)
ID_KEY = re.compile(r"(?i:(^|_)(ids?|uid|pk|fbid|id_str)$)|[a-z]I[dD]$")  # id, user_id, userId, fbid
# An element whose text is someone's words or someone's name (a post, a message, a bio, a person's cell).
FREE_TEXT = re.compile(
    r"(?<![a-z])(?:tweet|post(?!al)|message|comment|caption|bio\b|biography|chat|conversation|reply|story|feed|"
    r"author|user-?cell|user-?name|display-?name|full-?name|profile-?name|person|contact|member|friend|follower)",
    re.I,
)
# An element that shows the signed-in person: its text is their name and handle.
NAME_HOLDER = re.compile(
    r"user-?name|display-?name|full-?name|profile-?name|author-?name|screen-?name|account-?switcher|account-?menu|"
    r"user-?menu|current-?user|profile-?card|me-?button",
    re.I,
)
HANDLE = re.compile(r"@[\w.-]{2,}")
NAME_PARTS = re.compile(r"\s*(?:[·•|\n]|\s@|^@)\s*")
FREE_TAGS = frozenset(("article", "blockquote", "textarea"))
FREE_ROLES = frozenset(("article", "comment"))
FREE_ATTRS = frozenset(("aria-label", "title", "alt", "placeholder", "aria-description", "value"))

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+\d[\d ().-]{6,}\d|\(\d{3}\) ?\d{3}[ .-]\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4}\b")
NUMERIC_ID = re.compile(r"(?<![A-Za-z0-9])\d{6,}(?![A-Za-z0-9])")
TOKEN = re.compile(r"(?<![A-Za-z0-9_+=-])[A-Za-z0-9_+=-]{24,}")  # a secret when random-looking: see random()
BEARER = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
# "key": "value" pairs in script text: a secret's or an identity's value, whatever the script does with it.
QUOTED_PAIR = re.compile(r"""(["']?)([A-Za-z_$][\w$-]*)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4).)*)\4""", re.S)
ATTR_NAME = re.compile(r"[^\s\"'>/=\x00-\x1f\x7f]+")
NEUTRAL = "loremipsumdolorsitametconsecteturadipiscingelitseddoeiusmodtemporincididuntutlaboreetdoloremagnaaliqua"


def neutral(text: str) -> str:
    """Text of the same length and the same word breaks that says nothing."""
    letters = iter(NEUTRAL * (len(text) // len(NEUTRAL) + 1))
    return "".join(ch if ch.isspace() else next(letters) for ch in text)


@dataclass
class Scrubber:
    """One account's scrubbing: the same person, id or secret gets the same placeholder on every page it captures.

    identities: what is known up front to name the person (the account's user name, values the user adds).
    wording: the platform's own phrases (labels, locator names, setting names): text that holds one stays.
    """

    identities: Iterable[str] = ()
    wording: Iterable[str] = ()
    keep_scripts: bool = False
    secrets: Iterable[str] = ()  # known secret values (the stored password, cookie values): replaced anywhere
    counts: Counter = field(default_factory=Counter)
    names: dict[str, str] = field(default_factory=dict)  # identity (casefolded) -> placeholder
    ids: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.phrases = {p for p in (normalize(w) for w in self.wording) if len(p) >= 3}
        self._next_id = count(1)
        self.literal = {s.casefold() for s in self.secrets if len(s) >= 4}
        for value in self.identities:
            self.learn(value)

    # -- who the person is -------------------------------------------------------------------------------------

    def learn(self, value: str) -> None:
        """Replace this value wherever it appears from now on (and an e-mail's local part, and its URL form)."""
        value = " ".join(str(value).split()).lstrip("@")  # a handle's @ stays in the text: "@person1"
        if len(value) < 3 or value.casefold() in self.names or self.is_wording(value):
            return
        placeholder = EMAIL_PLACEHOLDER if EMAIL.fullmatch(value) else f"person{len(set(self.names.values())) + 1}"
        forms = {value, quote(value, safe="")}
        if "@" in value and not value.startswith("@"):
            local = value.split("@", 1)[0]
            if len(local) >= 3:
                self.names.setdefault(local.casefold(), placeholder.split("@")[0])
        for form in forms:
            if len(form) >= 3:
                self.names.setdefault(form.casefold(), placeholder)
        self._pattern = None

    def is_wording(self, text: str) -> bool:
        """Part of a phrase of the platform's, or mostly one: a message that merely quotes a label is not wording."""
        folded = normalize(text)
        if not folded:
            return False
        return any(folded in p or (p in folded and len(p) >= 0.6 * len(folded)) for p in self.phrases)

    def harvest(self, tree: dict) -> None:
        """Learn the person's names from the page's own data about its viewer before anything is replaced, so a
        display name found in one place is replaced in every other place too."""
        for node in walk(tree):
            if not isinstance(node, dict):
                continue
            tag, attrs = node["t"], dict(node["a"])
            if tag == "script":
                text = "".join(c for c in node["c"] if isinstance(c, str))
                data = parse_json(text) if attrs.get("type", "").lower() in DATA_TYPES else None
                if data is not None:
                    self.harvest_json(data, ())
                else:
                    for match in QUOTED_PAIR.finditer(text):
                        if IDENTITY_KEY.match(match.group(2)):
                            self.learn(unescape_js(match.group(5)))
            elif any(NAME_HOLDER.search(attrs.get(k, "")) for k in ("data-testid", "class", "itemprop")):
                for text in texts(node):
                    self.learn_shown(text)

    def learn_shown(self, text: str) -> None:
        """A name as a page shows it, "Jane Doe @jane": the handle and the name, each on its own."""
        for handle in HANDLE.findall(text):
            self.learn(handle)
        for part in NAME_PARTS.split(HANDLE.sub("", text)):
            if part.strip() and not self.is_wording(part):
                self.learn(part)

    def harvest_json(self, data: Any, path: tuple[str, ...]) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str) and (IDENTITY_KEY.match(key) or (key == "name" and any(USERISH.match(p) for p in path))):
                    self.learn(value)
                else:
                    self.harvest_json(value, (*path, str(key)))
        elif isinstance(data, list):
            for item in data:
                self.harvest_json(item, path)

    # -- text --------------------------------------------------------------------------------------------------

    def text(self, text: str, structural: bool = False) -> str:
        """Identity, e-mails, phones, ids and secrets out of any text; structural: class names, CSS and SVG
        geometry, where only the identity is looked for (digits and long runs there are not data)."""
        if not text:
            return text
        text = self.identity(text)
        if structural:
            return text
        text = self.sub(EMAIL, text, "e-mail", lambda m: EMAIL_PLACEHOLDER)
        text = self.sub(BEARER, text, "secret", lambda m: f"{m.group(1)} {SECRET}")
        text = self.sub(PHONE, text, "phone", lambda m: PHONE_PLACEHOLDER)
        text = TOKEN.sub(lambda m: self.secret(m.group()) if random(m.group()) else m.group(), text)
        return self.sub(NUMERIC_ID, text, "numeric id", lambda m: self.numeric(m.group()))

    def identity(self, text: str) -> str:
        """The person's names and the known secrets out, longest first."""
        if not (self.names or self.literal):
            return text
        if self._pattern is None:
            forms = sorted({*self.names, *self.literal, *(quote(s, safe="") for s in self.literal)}, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(f) for f in forms), re.I)

        def placeholder(match: re.Match) -> str:
            found = match.group().casefold()
            self.counts["identity" if found in self.names else "secret"] += 1
            return self.names.get(found, SECRET)

        return self._pattern.sub(placeholder, text)

    def numeric(self, digits: str) -> str:
        """A distinct id for each distinct id, of the same length, so ids that refer to each other still do."""
        if digits not in self.ids:
            self.ids[digits] = str(next(self._next_id)).rjust(len(digits), "0")[-len(digits):]
        return self.ids[digits]

    def sub(self, pattern: re.Pattern, text: str, kind: str, replacement) -> str:
        new, n = pattern.subn(replacement, text)
        if n:
            self.counts[kind] += n
        return new

    def secret(self, value: str) -> str:
        if value:
            self.counts["secret"] += 1
            return SECRET
        return value

    def free(self, text: str) -> str:
        """Someone's words: neutral text of the same length, unless it is the platform's own wording."""
        if not text.strip() or self.is_wording(text):
            return self.text(text)
        self.counts["free text"] += 1
        return neutral(text)

    # -- URLs, CSS, JSON, scripts ------------------------------------------------------------------------------

    def url(self, value: str, media: bool = False, free: bool = False) -> str:
        """free: a link inside someone's post or person cell, whose path names them (/someone): neutral too."""
        value = value.strip()
        if media and value:
            self.counts["media url"] += 1
            return MEDIA_PLACEHOLDER
        if value.lower().startswith("javascript:"):
            return value if self.keep_scripts else "#"
        try:
            parts = urlsplit(value)
        except ValueError:
            return self.secret(value)
        query = [
            (self.text(k), self.secret(v) if SECRET_NAME.search(k) else self.text(v))
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        path = "/".join(self.free(p) for p in parts.path.split("/")) if free else self.text(parts.path)
        return urlunsplit((parts.scheme, self.identity(parts.netloc), path, urlencode(query, safe="/:*[]"), self.text(parts.fragment)))

    def srcset(self, value: str) -> str:
        self.counts["media url"] += 1
        return f"{MEDIA_PLACEHOLDER} 1x"

    def css(self, text: str) -> str:
        def media(match: re.Match) -> str:
            if match.group(2).startswith("data:") and "image/svg" not in match.group(2):
                return match.group(0)
            self.counts["media url"] += 1
            return f'url("{MEDIA_PLACEHOLDER}")'

        text = CSS_URL.sub(media, text)
        return self.sub(EMAIL, self.identity(text), "e-mail", lambda m: EMAIL_PLACEHOLDER)

    def json(self, data: Any, key: str = "") -> Any:
        if isinstance(data, dict):
            return {self.identity(str(k)): self.json(v, str(k)) for k, v in data.items()}
        if isinstance(data, list):
            return [self.json(v, key) for v in data]
        if isinstance(data, str):
            if SECRET_NAME.search(key):
                return self.secret(data)
            return self.text(data)
        if isinstance(data, int) and not isinstance(data, bool) and (ID_KEY.search(key) or len(str(abs(data))) >= 6):
            self.counts["numeric id"] += 1
            return int(self.numeric(str(abs(data))))
        return data

    def script(self, text: str) -> str:
        """A kept script: secret-named values and the person out, as in JSON."""

        def pair(match: re.Match) -> str:
            value = self.secret(match.group(5)) if SECRET_NAME.search(match.group(2)) else match.group(5)
            return f"{match.group(1)}{match.group(2)}{match.group(1)}{match.group(3)}{match.group(4)}{value}{match.group(4)}"

        return self.text(QUOTED_PAIR.sub(pair, text))

    # -- the page ----------------------------------------------------------------------------------------------

    def page(self, tree: dict) -> str:
        """The captured document as static HTML, scrubbed."""
        self.harvest(tree)
        return "<!doctype html>\n" + self.element(tree, free=False) + "\n"

    def element(self, node: dict, free: bool) -> str:
        tag = node["t"].lower()
        if not ATTR_NAME.fullmatch(tag):
            return ""
        attrs = dict(node["a"])
        kind = attrs.get("type", "").lower()
        if tag == "script" and kind not in DATA_TYPES and not self.keep_scripts:
            self.counts["script"] += 1
            return ""
        if tag in ("noscript", "base") or (tag == "link" and DROPPED_LINKS & set(attrs.get("rel", "").lower().split())):
            return ""
        if tag == "meta" and attrs.get("http-equiv", "").lower() in ("set-cookie", "refresh"):
            self.counts["secret"] += 1
            return ""
        free = free or self.holds_free_text(tag, attrs)
        out = [f"<{tag}"]
        for name, value in node["a"]:
            written = self.attribute(tag, attrs, name.lower(), value, free)
            if written is not None and ATTR_NAME.fullmatch(name):
                out.append(f' {name}="{escape_attr(written)}"')
        out.append(">")
        if tag in VOID:
            return "".join(out)
        if "s" in node:  # an open shadow root, rebuilt by the parser from this template when the page is replayed
            out.append('<template shadowrootmode="open">')
            out += [self.child(c, free, tag) for c in node["s"]]
            out.append("</template>")
        out += [self.child(c, free, tag, kind) for c in node["c"]]
        out.append(f"</{tag}>")
        return "".join(out)

    def child(self, node: dict | str, free: bool, parent: str, kind: str = "") -> str:
        if isinstance(node, dict):
            return self.element(node, free)
        if parent == "style":
            return raw(self.css(node), parent)
        if parent == "script":
            data = parse_json(node) if kind in DATA_TYPES else None
            if kind in DATA_TYPES:
                return raw(json.dumps(self.json(data)) if data is not None else "{}", parent)
            return raw(self.script(node), parent)
        return escape_text(self.free(node) if free else self.text(node))

    def holds_free_text(self, tag: str, attrs: dict) -> bool:
        editable = attrs.get("contenteditable", "false").lower() in ("", "true", "plaintext-only")
        if tag in FREE_TAGS or attrs.get("role", "").lower() in FREE_ROLES or editable:
            return True
        marks = " ".join(attrs.get(k, "") for k in ("data-testid", "class", "id", "itemprop"))
        return bool(FREE_TEXT.search(marks))

    def attribute(self, tag: str, attrs: dict, name: str, value: str, free: bool) -> str | None:
        """The attribute's scrubbed value, or None to leave it out."""
        if name in DROPPED_ATTRS:
            return None
        if name.startswith("on"):
            if self.keep_scripts:
                return self.script(value)
            self.counts["script"] += 1
            return None
        if tag == "meta" and name == "content":
            which = (attrs.get("name") or attrs.get("property") or "").lower()
            if SECRET_NAME.search(which):
                return self.secret(value)
            if which in MEDIA_META:
                return self.url(value, media=True)
            return self.free(value) if which in FREE_META else self.text(value)
        if tag == "input" and name == "value":
            kind = attrs.get("type", "text").lower()
            if kind == "password" or kind == "hidden" or SECRET_NAME.search(attrs.get("name", "") + " " + attrs.get("id", "")):
                return self.secret(value)
            return self.free(value) if free else self.text(value)
        if name == "srcset" or name == "imagesrcset":
            return self.srcset(value)
        if name in URL_ATTRS:
            return self.url(value, media=(tag in MEDIA_TAGS and name in MEDIA_ATTRS), free=free)
        if tag == "iframe" and name == "srcdoc":
            self.counts["frame"] += 1
            return ""
        if name == "style":
            return self.css(value)
        if name.startswith("data-") and name != "data-testid" and SECRET_NAME.search(name):
            return self.secret(value)
        if free and name in FREE_ATTRS:
            return self.free(value)
        return self.text(value, structural=name in STRUCTURAL)


def random(run: str) -> bool:
    """A long run that is a token, not a slug or a name: mixed case with digits, or long hex."""
    digits = any(c.isdigit() for c in run)
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run)
    return digits and (mixed or (len(run) >= 32 and re.fullmatch(r"[0-9a-fA-F-]+", run) is not None))


def texts(node: dict | str):
    """Every text node under node, one by one."""
    for n in walk(node):
        if isinstance(n, str):
            yield n


def walk(node: dict | str):
    yield node
    if isinstance(node, dict):
        for child in (*node.get("s", ()), *node["c"]):
            yield from walk(child)


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def unescape_js(value: str) -> str:
    try:
        return json.loads(f'"{value}"')
    except ValueError:
        return value


def escape_text(text: str) -> str:
    """Text as HTML; `{{` cannot survive as a replay template tag (runner/replay.py renders those)."""
    return html.escape(text, quote=False).replace("{{", "{&#123;")


def escape_attr(value: str) -> str:
    return html.escape(value, quote=True).replace("{{", "{&#123;")


def raw(text: str, tag: str) -> str:
    """Script or style text that cannot close its element early, nor hold a replay template tag."""
    return re.sub(rf"</(?={tag})", r"<\\/", text, flags=re.I).replace("{{", "{ {")
