#!/usr/bin/python3
"""What a user's programs do with the master's services, for the tests:
send a mail over SMTP, list a folder over IMAP with a password, and log in to
Roundcube over HTTPS and list the inbox. Only Python's standard library.

Every command verifies TLS against --cafile with --name as the server's
name (SNI and certificate), connecting to --address: the tests reach a host
of the test cluster by its loopback address under its FQDN. Exit status 0
and the lines asked for on stdout, or 1 and the reason on stderr.

  mail_client.py send ADDRESS PORT FROM TO SUBJECT BODY
  mail_client.py submit ADDRESS PORT NAME CAFILE USER PASSWORD FROM TO SUBJECT BODY
      sends a mail as a user's mail program does: STARTTLS, then AUTH
  mail_client.py imap ADDRESS PORT NAME CAFILE USER PASSWORD FOLDER
      prints one line per message of FOLDER: its Subject
  mail_client.py webmail ADDRESS NAME CAFILE USER PASSWORD
      logs in to https://NAME/mail/ and prints the inbox's page as Roundcube
      sends it to its own script (the subjects are in it)
"""

import http.cookiejar
import imaplib
import re
import smtplib
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.parser import BytesHeaderParser


def resolve(name, address):
    """Makes NAME resolve to ADDRESS in this process."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real(address if host == name else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def send(address, port, sender, to, subject, body):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(address, int(port), timeout=60) as smtp:
        smtp.send_message(msg)


def submit(address, port, name, cafile, user, password, sender, to, subject, body):
    resolve(name, address)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(name, int(port), timeout=60) as smtp:
        smtp.starttls(context=context(cafile))
        smtp.login(user, password)
        smtp.send_message(msg)


def imap(address, port, name, cafile, user, password, folder):
    resolve(name, address)
    with imaplib.IMAP4_SSL(name, int(port), ssl_context=context(cafile), timeout=60) as box:
        box.login(user, password)
        status, _ = box.select('"' + folder + '"', readonly=True)
        if status != "OK":
            raise RuntimeError("no folder " + folder)
        _, data = box.search(None, "ALL")
        for num in data[0].split():
            _, parts = box.fetch(num, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            headers = BytesHeaderParser().parsebytes(parts[0][1])
            print(headers.get("Subject", ""))


def webmail(address, name, cafile, user, password):
    resolve(name, address)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context(cafile)), urllib.request.HTTPCookieProcessor(jar)
    )
    base = "https://" + name + "/mail/"
    page = opener.open(base, timeout=60).read().decode()
    token = re.search(r'name="_token" value="([^"]+)"', page)
    if not token:
        raise RuntimeError("no login form at " + base + ":\n" + page[:2000])
    form = urllib.parse.urlencode(
        {
            "_token": token.group(1),
            "_task": "login",
            "_action": "login",
            "_timezone": "UTC",
            "_url": "",
            "_user": user,
            "_pass": password,
        }
    ).encode()
    try:
        page = opener.open(base + "?_task=login", form, timeout=60).read().decode()
    except urllib.error.HTTPError as e:
        # Roundcube answers a refused login with 401 and the login form.
        if e.code != 401:
            raise
        raise RuntimeError("the login did not succeed: HTTP 401") from None
    request = re.search(r'"request_token":"([^"]+)"', page)
    if not request or "_task=logout" not in page:
        raise RuntimeError("the login did not succeed:\n" + page[:2000])
    listing = urllib.request.Request(
        base + "?_task=mail&_action=list&_mbox=INBOX&_remote=1", headers={"X-Roundcube-Request": request.group(1)}
    )
    print(opener.open(listing, timeout=60).read().decode())


def main(argv):
    commands = {"send": (send, 6), "submit": (submit, 10), "imap": (imap, 7), "webmail": (webmail, 5)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        commands[argv[1]][0](*argv[2:])
    except Exception as e:  # the reason, for the test's output
        sys.stderr.write(argv[1] + ": " + type(e).__name__ + ": " + str(e) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
