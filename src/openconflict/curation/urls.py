"""One comparison key per report URL, so the same report is recognised however its link was copied.

Why: the same article reaches a curator as ``http://www.x.com/a/``, ``https://x.com/a?utm_source=tw``,
``https://x.com/a#comments`` or its AMP page ``https://x.com/a/amp``. The key ignores what does not name
the report (scheme, ``www.``/``m.``/``amp.`` hosts, default ports, trailing slashes, tracking parameters,
fragments, AMP markers, percent-encoding case, parameter order) and keeps what does (host, path case,
every other query parameter: ``?p=335383`` and ``?e3634`` are the article's id on some sites).
Standard library only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

#: Query parameters that track the click, never name the page.
TRACKING = frozenset({"fbclid", "gclid", "dclid", "gclsrc", "yclid", "msclkid", "mc_cid", "mc_eid", "igshid",
                      "_ga", "_gl", "ocid", "ncid", "cmpid", "icid", "ref", "ref_src", "ref_url", "smid",
                      "__twitter_impression", "at_medium", "at_campaign", "at_custom1", "at_custom2",
                      "amp", "rss", "spm", "share", "s_cid"})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_HOST_PREFIXES = ("www.", "www1.", "www2.", "m.", "mobile.", "amp.")
_DEFAULT_PORTS = {":80", ":443"}
_AMP_SUFFIX = re.compile(r"(\.amp)(?=\.html?$|$)", re.IGNORECASE)


def _tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING or low.startswith(_TRACKING_PREFIXES)


def url_key(url: str) -> str:
    """The comparison key of ``url``: equal keys mean the same report (see the module docstring)."""
    text = url.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        text = "http://" + text  # a link copied without its scheme
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:  # not a URL at all (an unbalanced "[" host): compare it as written
        return url.strip()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    port = f":{parts.port}" if _safe_port(parts) else ""
    if port in _DEFAULT_PORTS:
        port = ""
    segments = [unquote(s) for s in parts.path.split("/")]
    segments = [s for s in segments if s and s.lower() != "amp"]
    if segments:
        segments[-1] = _AMP_SUFFIX.sub("", segments[-1])
    path = "/".join(quote(s, safe="!$&'()*+,;=:@~-._") for s in segments)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    if any(k.lower() == "outputtype" and v.lower() == "amp" for k, v in params):
        params = [(k, v) for k, v in params if k.lower() != "outputtype"]
    query = urlencode(sorted(params))
    fragment = parts.fragment if parts.fragment.startswith("!") else ""  # "#!/..." routes name the page
    key = f"{host}{port}/{path}"
    if query:
        key += "?" + query
    if fragment:
        key += "#" + fragment
    return key


def _safe_port(parts: object) -> bool:
    try:
        return getattr(parts, "port", None) is not None
    except ValueError:  # a malformed port: keep the host only
        return False


def slug_words(url: str) -> str:
    """The words of a URL's last meaningful path segment ("aleppo-in-turmoil-as" -> "aleppo in turmoil as")."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    segments = [unquote(s) for s in parts.path.split("/") if s and s.lower() != "amp"]
    for seg in reversed(segments):
        seg = re.sub(r"\.(html?|php|aspx?)$", "", seg, flags=re.IGNORECASE)
        words = [w for w in re.split(r"[-_+\s]+", seg) if w and not w.isdigit()]
        if len(words) >= 2:
            return " ".join(words)
    return ""
