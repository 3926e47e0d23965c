"""IMAP helpers for fetching by UID in batches: UID sets and FETCH responses."""

import re

_FETCH_UID = re.compile(rb"\bUID (\d+)\b")
# IMAP dates name months in English whatever the locale (RFC 3501, date-month).
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def uid_set(uids):
    """Compress sorted UIDs into an IMAP sequence set: [1, 2, 3, 7] -> "1:3,7"."""
    ranges = []
    for uid in sorted(uids):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in ranges)


def batches(items, size):
    """Consecutive slices of at most `size` items."""
    size = max(1, int(size))
    return [items[start : start + size] for start in range(0, len(items), size)]


def new_uids(search_data, last_uid):
    """UIDs from a `UID SEARCH UID n:*` answer that are above last_uid: the server always
    answers `n:*` with at least its highest UID, even when that one is below n."""
    found = (int(uid) for uid in b" ".join(part or b"" for part in search_data).split())
    return sorted(uid for uid in found if uid > last_uid)


def search_criteria(last_uid, since=None):
    """`UID SEARCH` criteria for the mails after last_uid (every mail when it is None),
    received on or after the date `since` when given (SINCE compares the server's arrival
    date, by day)."""
    criteria = ["ALL" if last_uid is None else f"UID {last_uid + 1}:*"]
    if since:
        criteria.append(f"SINCE {since.day}-{_MONTHS[since.month - 1]}-{since.year}")
    return " ".join(criteria)


def parse_fetch(data):
    """{uid: raw bytes} from the data of `UID FETCH ... (BODY.PEEK[])`; the server may put
    the UID before or after the literal, and may add unsolicited FLAGS lines."""
    mails = {}
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        header, raw = item[0], item[1]
        match = _FETCH_UID.search(header)
        if not match and index + 1 < len(data) and isinstance(data[index + 1], bytes):
            match = _FETCH_UID.search(data[index + 1])
        if match:
            mails[int(match.group(1))] = raw
    return mails
