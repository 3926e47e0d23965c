"""Authentication-Results headers in the shapes the providers write them, shared by the
tests of lib/sender_auth.py and of the routing (plain data: nothing of Odoo)."""

# Addresses and signatures changed.
GMAIL_PASS = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@customer.test header.s=20230601 header.b=qvNLDfV5;\r\n"
    "       spf=pass (google.com: domain of anna@customer.test designates 209.85.220.65"
    " as permitted sender) smtp.mailfrom=anna@customer.test;\r\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=customer.test"
)
GMAIL_FAIL = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@forger.test header.s=sel header.b=zwziYVWi;\r\n"
    "       spf=softfail (google.com: domain of transitioning anna@customer.test does not"
    " designate 203.0.113.9 as permitted sender) smtp.mailfrom=anna@customer.test;\r\n"
    "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=customer.test"
)
# Microsoft 365 writes no authserv-id at all (RFC 8601 wants one); what it writes on top
# of the ARC set names mx.microsoft.com.
OUTLOOK_PASS = (
    "spf=pass (sender IP is 209.85.210.41) smtp.mailfrom=customer.test; dkim=pass"
    " (signature was verified) header.d=customer.test;dmarc=pass action=none"
    " header.from=customer.test;compauth=pass reason=100"
)
OUTLOOK_ARC = (
    "i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=customer.test; dmarc=pass"
    " action=none header.from=customer.test; dkim=pass header.d=customer.test; arc=none"
)
# Postfix with OpenDKIM, then OpenDMARC: one header each, the last milter's on top.
OPENDMARC_FAIL = "mail.company.test; dmarc=fail (p=reject dis=none) header.from=customer.test"
OPENDMARC_PASS = "mail.company.test; dmarc=pass (p=reject dis=none) header.from=customer.test"
OPENDKIM_PASS = (
    "mail.company.test;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=customer.test"
    ' header.i=@customer.test header.b="AbCd1234";\r\n\tdkim-atps=neutral'
)
OVH_DKIM = (
    "in66.mail.ovh.net; dkim=pass (2048-bit key; unprotected) header.d=customer.test"
    ' header.i=@customer.test header.b="GMG2ucPx"; dkim-atps=neutral'
)
