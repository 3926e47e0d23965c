"""A mail past its server's limits (size, MIME depth, MIME parts) is set aside before
any parser reads it: parsing it is what could stop the catcher. Its size and shape are
read from its raw bytes (IncomingMail.over_limits), without recursion: a mail nested a
thousand levels deep is set aside for its depth, never reaching Python's parser."""

from ..lib.mime import raw_mime_shape
from .outcome import Verdict


def past_server_limits(mail):
    return mail.over_limits and Verdict("quarantined", None, mail.over_limits)


def why_over_limits(env, server, raw):
    """Why the raw mail is past its server's limits; None when it is within them."""
    size = len(raw)
    if server.catcher_max_size_mb and size > server.catcher_max_size_mb * 1024 * 1024:
        return env._(
            "This mail is %(size)s MB, over the limit of %(limit)s MB of its server: it "
            "was not routed. Download it, or assign it to a document by hand.",
            size=round(size / 1024 / 1024, 1),
            limit=server.catcher_max_size_mb,
        )
    max_depth, max_parts = server.catcher_max_mime_depth, server.catcher_max_mime_parts
    depth, parts = raw_mime_shape(raw, max_depth or 10**6, max_parts or 10**6)
    if max_depth and depth > max_depth:
        return env._(
            "This mail nests its parts over %(limit)s levels deep, the limit of its "
            "server: it was not routed. Download it, or assign it to a document by hand.",
            limit=max_depth,
        )
    if max_parts and parts > max_parts:
        return env._(
            "This mail has over %(limit)s parts, the limit of its server: it was not "
            "routed. Download it, or assign it to a document by hand.",
            limit=max_parts,
        )
    return None
