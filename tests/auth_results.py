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
# Microsoft 365, in the older form it still documents: no authserv-id at all (RFC 8601
# wants one); what it writes on top of the ARC set names mx.microsoft.com.
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
# Microsoft 365's headers as published. The older form, as captured in a MimeKit issue
# (github.com/jstedfast/MimeKit/issues/490, "Support parsing Office 365
# Authentication-Results", redacted there): bare domains after results, `bestguesspass`.
OUTLOOK_MIMEKIT_490 = (
    "spf=fail (sender IP is 1.1.1.1) smtp.mailfrom=eu-west-1.amazonses.com;"
    " recevingdomain.com; dkim=pass (signature was verified) header.d=domain.com;domain1.com;"
    " dmarc=bestguesspass action=none header.from=domain.com;"
)
# As Validity's knowledge base shows a mail Microsoft classed as spoofed ("How to use
# Everest to identify a message classified as spoofed at Microsoft", article 360040988772).
OUTLOOK_VALIDITY_SPOOFED = (
    "spf=none (sender IP is XX.XX.XXX.X) smtp.mailfrom=example.net; hotmail.com; dkim=none"
    " header.d=example.net;hotmail.com; dmarc=none action=none header.from=example.net;"
    "compauth=fail reason=001"
)
# Exchange Online's current form, `mx.microsoft.com 1;` first, written after the shape
# the issue quotes (no public capture of it was at hand; addresses are ours).
OUTLOOK_CURRENT_PASS = (
    "mx.microsoft.com 1; spf=pass (sender ip is 209.85.210.41) smtp.mailfrom=customer.test;"
    " dkim=pass (signature was verified) header.d=customer.test; dmarc=pass action=none"
    " header.from=customer.test; compauth=pass reason=100"
)
OUTLOOK_CURRENT_SPOOFED = (
    "mx.microsoft.com 1; spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=customer.test;"
    " dkim=none (message not signed) header.d=none; dmarc=none action=none"
    " header.from=customer.test; compauth=fail reason=001"
)
OUTLOOK_COMPAUTH_ONLY = (
    "mx.microsoft.com 1; spf=none smtp.mailfrom=customer.test; dkim=none header.d=none;"
    " dmarc=none action=none header.from=customer.test; compauth=pass reason=109"
)
