"""messages.py: writes one outgoing message per case in cases.txt (generate.sh sends them).

A message is a plain note from alice@sender.example, unsigned (sender.example publishes
no DKIM key); cases whose name ends in "-zip" carry invoice.zip holding invoice.exe,
the forbidden-attachment case; postfix-size-limit carries a 10 KB text attachment.
"""
import io, sys, zipfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

cases, out = sys.argv[1], sys.argv[2]
for line in open(cases):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    cols = line.split(" | ")
    name, rcpt = cols[0], cols[1]
    if name.startswith("forward-"):
        rcpt = "bob@forwarder.example"  # the forwarder's alias, expanded to the sink address
    m = EmailMessage()
    m["From"] = "Alice <alice@sender.example>"
    m["To"] = rcpt
    m["Subject"] = "Invoice 2026-12 (" + name + ")"
    m["Date"] = formatdate(localtime=False)
    m["Message-ID"] = make_msgid(domain="sender.example")
    m["X-Case-Rcpt"] = rcpt
    m.set_content("Hello,\n\nplease find this month's invoice.\n\nAlice\n")
    if name.endswith("-zip"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode.\r\n")
        m.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="invoice.zip")
    if name == "postfix-size-limit":
        m.add_attachment(("0123456789abcdef" * 640).encode(), maintype="text", subtype="plain", filename="log.txt")
    open(f"{out}/{name}.eml", "w").write(m.as_string())
