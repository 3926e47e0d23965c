"""The catcher's own mail provider's verdict on a mail's sender, read from the
`Authentication-Results` headers (RFC 8601) it writes.

Anyone can write an `Authentication-Results` header into the mail they send, naming any
server. What makes one trustworthy is where it sits: the receiving provider prepends its
header above those the mail came with, so the topmost header bearing the provider's
authserv-id is the provider's own. Every header below it, even one naming the same
server, was written by the sender or a server on the way and counts for nothing."""

import re
from email.utils import getaddresses

import authres
import authres.dmarc

PASS = "pass"
FAIL = "fail"
NONE = "none"

_FEATURES = authres.FeatureContext(authres.dmarc)
# A plain authserv-id (a host name, maybe with a version) right before the first ";":
# the parser would read the same, so a header of another server needs no parsing (the
# parser takes a millisecond a header). Anything else is left to the parser.
_PLAIN_ID = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9.-]*)(?:\s+1)?\s*;")
# Methods whose failure means the sender's address was not confirmed.
_FAILING_METHODS = ("dmarc", "dkim", "spf")
# Failures that settle it whatever else passed: DMARC's, and Microsoft 365's composite
# verdict (compauth), which weighs SPF, DKIM, DMARC and its own signals.
_DECISIVE_FAILURES = ("dmarc", "compauth")
# Providers whose own header is the topmost one, which they write in a form of their own
# that the RFC 8601 parser refuses. Microsoft 365 writes `mx.microsoft.com 1; spf=...;
# compauth=...` today, and no authserv-id at all in the form it still documents. For
# these, the topmost header is read in either form, and nothing below it ever counts.
TOPMOST_ONLY = {"mx.microsoft.com"}
# Microsoft's form, read leniently: `method=result` then `ptype.property=value` tokens per
# `;`-separated segment; its bare segments (`company.com;` after a result) are skipped.
_RESULT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*([A-Za-z0-9]+)(.*)$", re.S)
_PROPERTY = re.compile(r"\b([A-Za-z]+\.[A-Za-z0-9_-]+)\s*=\s*([^\s;()]+)")
_COMMENT = re.compile(r"\([^()]*\)")


def authserv_id_matches(authserv_id, trusted):
    """Whether a header's authserv-id is the trusted one. Case does not matter; a trusted
    value `*.mail.example.net` stands for the provider's many receiving hosts
    (`in66.mail.example.net`), which name themselves in the header."""
    authserv_id = (authserv_id or "").strip().lower()
    trusted = (trusted or "").strip().lower()
    if not authserv_id or not trusted:
        return False
    if trusted.startswith("*."):
        return authserv_id.endswith(trusted[1:])
    return authserv_id == trusted


def trusted_results(header_values, trusted):
    """The results of the topmost header (in the mail's order, top first) written by the
    trusted server, as (method, result, properties) with properties as a dict of
    "ptype.property" to value; None when no header bears the trusted authserv-id. A
    trusted header the parser cannot read gives no result ([]): the headers below it are
    not the provider's and cannot stand in for it."""
    if (trusted or "").strip().lower() in TOPMOST_ONLY:
        return _topmost_results(header_values, trusted)
    for value in header_values:
        text = " ".join(str(value).split())
        plain = _PLAIN_ID.match(text)
        if plain and not authserv_id_matches(plain.group(1), trusted):
            continue
        try:
            header = _FEATURES.parse_value(text)
        except (authres.AuthResError, ValueError):
            # Whose it is cannot be told: if it may be the trusted server's, the headers
            # below must not stand in for it.
            if plain or _names(text.split(";", 1)[0], trusted):
                return []
            continue
        if authserv_id_matches(header.authserv_id, trusted):
            return [
                (
                    result.method.lower(),
                    (result.result or "").lower(),
                    {
                        f"{prop.type}.{prop.name}".lower(): str(prop.value or "").lower()
                        for prop in result.properties
                    },
                )
                for result in header.results
                if hasattr(result, "method")  # "none" stands for no result at all
            ]
    return None


def _topmost_results(header_values, trusted):
    """The topmost header's results when it is the trusted provider's: it names it, or
    names no server at all (Microsoft's older form); None when it names another server
    (the provider wrote none); [] when it cannot be read, or is an ARC set's (`i=1;`)."""
    if not header_values:
        return None
    text = " ".join(str(header_values[0]).split())
    first = text.split(";", 1)[0]
    if _RESULT.match(first):
        return [] if first.strip().lower().startswith("i=") else _lenient_results(text)
    plain = _PLAIN_ID.match(text)
    if not plain:
        return []
    if not authserv_id_matches(plain.group(1), trusted):
        return None
    return _lenient_results(text.split(";", 1)[1])


def _lenient_results(text):
    while _COMMENT.search(text):
        text = _COMMENT.sub(" ", text)
    results = []
    for segment in text.split(";"):
        match = _RESULT.match(segment)
        if match:
            method, result, rest = match.groups()
            properties = {name.lower(): value.lower() for name, value in _PROPERTY.findall(rest)}
            results.append((method.lower(), result.lower(), properties))
    return results


def _names(text, trusted):
    """Whether a text mentions the trusted server."""
    trusted = (trusted or "").strip().lower().removeprefix("*.")
    return bool(trusted) and trusted in text.lower()


def from_domain(from_values):
    """The domain of the mail's only author, or None when there is none or more than one
    (DMARC cannot vouch for a mail with several authors)."""
    addresses = [address for _name, address in getaddresses([str(v) for v in from_values])]
    addresses = [address for address in addresses if address]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    return addresses[0].rsplit("@", 1)[1].strip().lower().rstrip(".") or None


def _aligned(signing_domain, author_domain):
    """DKIM alignment as DMARC's relaxed mode sees it without the public suffix list: the
    same domain, or one a parent of the other (mail.example.com signs for example.com)."""
    signing_domain = signing_domain.strip().lower().lstrip("@").rstrip(".")
    if not signing_domain or not author_domain:
        return False
    return (
        signing_domain == author_domain
        or author_domain.endswith("." + signing_domain)
        or signing_domain.endswith("." + author_domain)
    )


def _signing_domain(properties):
    if properties.get("header.d"):
        return properties["header.d"]
    identity = properties.get("header.i", "")
    return identity.rsplit("@", 1)[-1] if identity else ""


def verdict(results, author_domain):
    """`fail` when DMARC (or Microsoft's compauth) failed; `pass` when DMARC passed for the
    mail's author domain, or a DKIM signature of that domain (or of a parent or child of
    it) is good; `fail` when nothing passed and a DKIM or SPF check failed; `none` when
    there is no trusted result to go by. A compauth pass alone proves nothing: it may rest
    on Microsoft's guesses (`dmarc=bestguesspass`, the sender's history)."""
    if not results:
        return NONE
    if any(method in _DECISIVE_FAILURES and result == FAIL for method, result, _p in results):
        return FAIL
    for method, result, properties in results:
        if method == "dmarc" and result == PASS:
            checked = properties.get("header.from")
            if author_domain and (not checked or checked == author_domain):
                return PASS
        if (
            method == "dkim"
            and result == PASS
            and _aligned(_signing_domain(properties), author_domain)
        ):
            return PASS
    if any(method in _FAILING_METHODS and result == FAIL for method, result, _p in results):
        return FAIL
    return NONE


def sender_verdict(header_values, from_values, trusted):
    """The trusted provider's verdict (`pass`, `fail` or `none`) on a mail, from its
    `Authentication-Results` header values (top first) and its `From` values."""
    headers = [" ".join(str(value).split()) for value in header_values]
    trusted = (trusted or "").strip().lower()
    return verdict(trusted_results(headers, trusted), from_domain(from_values))
