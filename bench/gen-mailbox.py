#!/usr/bin/env python3
"""gen-mailbox.py: a deterministic mailbox of realistic support mail.

usage: bench/gen-mailbox.py [-n COUNT] [--seed S] [--format eml|maildir]
                           [--existing FILE [--existing-share F]] [--stats] OUT

Writes COUNT messages (default 5000) to OUT: numbered .eml files
(00001.eml ...) or a Maildir (OUT/cur, OUT/new, OUT/tmp) whose file names
sort in message order, so that "doveadm import" gives them ascending UIDs
in that order. CRLF line ends. The same seed always gives the same bytes.

What the mail looks like:
  - conversations: about 45 % of the messages open one; the rest reply to
    a recent conversation: follow-ups (In-Reply-To the previous customer
    mail, References the chain, "Re: subject"), answers to an agent's mail
    (In-Reply-To an agent Message-ID that is not in the mailbox, References
    the chain, subject "Re: [Support #k] subject") and a few mails that
    carry only the tag. Conversation k is the k-th one opened, so with a
    fresh postdesk database (tag "Support") its tag names its own ticket.
  - sizes from 1 KB to 200 KB, skewed small (median about 7 KB, most
    2-20 KB); bigger ones carry attachments (base64 PDFs and images of
    random bytes), a few small ones a logo.
  - text/plain only, multipart/alternative with HTML, multipart/mixed;
    English, Czech and Polish text in utf-8, iso-8859-2 and windows-1250,
    8bit, quoted-printable or base64; RFC 2047 subjects and names.
  - senders customer1..customer5@example.test (about a quarter of the
    conversations) and a few thousand outside addresses; some Cc.
  - --existing FILE: a share of the messages (--existing-share, default
    0.3) reply by In-Reply-To to messages listed in FILE (a database's
    older tickets, see bigdb-fill.py), from the address they were sent to.
  - --stats prints the distribution of what was written."""
import argparse
import base64
import os
import quopri
import random
import sys
import time
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta

EN = [
    "I cannot log in to my account since this morning.",
    "The invoice for last month shows the wrong amount.",
    "After the update the application crashes when I open a report.",
    "Could you please check why my order has not been shipped yet?",
    "The password reset link in your mail does not work.",
    "We were charged twice for the same subscription.",
    "The export to CSV is missing the last column.",
    "Our team cannot see the shared calendar any more.",
    "Please find the screenshot of the error attached.",
    "It worked fine until yesterday afternoon.",
    "I already tried clearing the browser cache and restarting.",
    "Is there a workaround until this is fixed?",
    "This is urgent for us because the quarterly closing is on Friday.",
    "The error message says that the session has expired.",
    "We use the desktop client on Windows 11 and the web version.",
    "Thank you for the quick answer, but the problem is still there.",
    "I have attached the log file you asked for.",
    "Can you tell me when the new version will be available?",
    "Please cancel my subscription at the end of this period.",
    "Our accounting department needs a corrected invoice.",
]
CS = [
    "Dobrý den, od rána se nemohu přihlásit do svého účtu.",
    "Faktura za minulý měsíc obsahuje chybnou částku.",
    "Po aktualizaci aplikace spadne, když otevřu přehled.",
    "Prosím o kontrolu, proč ještě nebyla odeslána moje objednávka.",
    "Odkaz pro obnovení hesla v e-mailu nefunguje.",
    "Předplatné nám bylo strženo dvakrát.",
    "Export do CSV neobsahuje poslední sloupec.",
    "Přikládám snímek obrazovky s chybovou hláškou.",
    "Včera odpoledne ještě všechno fungovalo.",
    "Zkusil jsem vymazat mezipaměť prohlížeče i restart počítače.",
    "Existuje nějaké dočasné řešení, než to opravíte?",
    "Je to pro nás naléhavé, účetní uzávěrka je v pátek.",
    "Chybová hláška říká, že relace vypršela.",
    "Děkuji za rychlou odpověď, ale problém přetrvává.",
    "Žluťoučký kůň úpěl ďábelské ódy - příliš složité znaky?",
]
PL = [
    "Dzień dobry, od rana nie mogę zalogować się do konta.",
    "Faktura za zeszły miesiąc zawiera błędną kwotę.",
    "Po aktualizacji aplikacja się zamyka, gdy otwieram raport.",
    "Proszę sprawdzić, dlaczego moje zamówienie nie zostało wysłane.",
    "Link do resetowania hasła w wiadomości nie działa.",
    "Subskrypcja została pobrana dwukrotnie.",
    "Eksport do CSV nie zawiera ostatniej kolumny.",
    "W załączniku przesyłam zrzut ekranu z błędem.",
    "Wczoraj po południu wszystko działało poprawnie.",
    "Czy istnieje jakieś obejście, zanim błąd zostanie naprawiony?",
    "To pilne, ponieważ zamknięcie kwartału jest w piątek.",
    "Dziękuję za szybką odpowiedź, ale problem nadal występuje.",
    "Zażółć gęślą jaźń - czy polskie znaki są poprawne?",
]
SUBJECTS = {
    "en": ["Cannot log in", "Wrong amount on invoice", "App crashes after update",
           "Order not shipped", "Password reset link broken", "Charged twice",
           "CSV export incomplete", "Shared calendar missing", "Session expired error",
           "Question about the new version", "Cancel subscription", "Corrected invoice needed"],
    "cs": ["Nelze se přihlásit", "Chybná částka na faktuře", "Aplikace padá po aktualizaci",
           "Objednávka nebyla odeslána", "Nefunkční obnovení hesla", "Dvojí platba",
           "Neúplný export", "Žádost o opravu faktury"],
    "pl": ["Nie mogę się zalogować", "Błędna kwota na fakturze", "Aplikacja się zamyka",
           "Zamówienie nie zostało wysłane", "Podwójna płatność", "Niepełny eksport",
           "Prośba o korektę faktury"],
}
GREET = {"en": ["Hello,", "Hi,", "Dear support team,"],
         "cs": ["Dobrý den,", "Zdravím,"],
         "pl": ["Dzień dobry,", "Witam,"]}
BYE = {"en": ["Best regards", "Thanks", "Kind regards"],
       "cs": ["S pozdravem", "Děkuji"],
       "pl": ["Pozdrawiam", "Z poważaniem"]}
WROTE = {"en": "On {d}, {n} wrote:", "cs": "Dne {d} {n} napsal(a):",
         "pl": "W dniu {d} {n} napisał(a):"}
FIRST = ["Jan", "Petr", "Jana", "Eva", "Tomáš", "Lucie", "Marek", "Anna", "Piotr",
         "Katarzyna", "Paweł", "Agnieszka", "John", "Mary", "David", "Sarah", "Michał",
         "Zuzana", "Jiří", "Małgorzata", "Robert", "Linda", "Ondřej", "Łukasz"]
LAST = ["Novák", "Svoboda", "Dvořák", "Černá", "Procházka", "Kowalski", "Wiśniewski",
        "Wójcik", "Smith", "Jones", "Brown", "Nowak", "Král", "Zieliński", "Horák",
        "Taylor", "Lewandowski", "Veselá", "Kamiński", "Miller"]
DOMAINS = ["firma.test", "acme-corp.test", "posta-cz.test", "mail-pl.test", "shop.test",
           "example.org", "uni-brno.test", "biuro.test", "consulting.test", "bigco.test",
           "stavby.test", "logistics.test", "hotel-krakow.test", "autodily.test"]
CUSTOMERS = ["customer%d@example.test" % i for i in range(1, 6)]
MAILERS = ["Mozilla Thunderbird 115.5", "Microsoft Outlook 16.0", "Apple Mail (2.3731)",
           "Roundcube Webmail/1.6.5", "K-9 Mail for Android", None, None]
ASCII = str.maketrans("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽąćęłńóśźżĄĆĘŁŃÓŚŹŻ–",
                      "acdeeinorstuuyzACDEEINORSTUUYZacelnoszzACELNOSZZ-")


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def b64lines(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def ascii_ok(s):
    return all(ord(c) < 128 for c in s)


def enc_word(s, charset, rnd):
    """RFC 2047 for a header value that is not ASCII; Q or B."""
    if ascii_ok(s):
        return s
    raw = s.encode(charset)
    if rnd.random() < 0.5:
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122)
                else ("_" if b == 32 else "=%02X" % b) for b in raw)
    return "=?%s?Q?%s?=" % (charset, q)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.convs = []        # dicts: k, subject, lang, addr, name, ids, cc, texts
        self.t = datetime(2024, 3, 4, 7, 30, tzinfo=timezone.utc)
        r = random.Random(seed * 7919 + 1)
        self.outside = []
        for i in range(3000):
            f, l = r.choice(FIRST), r.choice(LAST)
            local = (f + "." + l).lower().translate(ASCII)
            if i >= 40:
                local += str(i)
            self.outside.append(("%s %s" % (f, l), "%s@%s" % (local, r.choice(DOMAINS))))
        self.existing, self.existing_share = [], 0.0
        self.stats = {"new": 0, "existing": 0, "follow-up": 0, "agent-reply": 0, "tag-only": 0,
                      "alternative": 0, "attachment": 0, "plain": 0}
        self.charsets = {}

    # --- pieces -------------------------------------------------------
    def sender(self):
        r = self.r
        if r.random() < 0.25:
            a = r.choice(CUSTOMERS)
            n = "Customer " + a[8] if r.random() < 0.7 else None
            return n, a
        return self.outside[min(int(r.expovariate(1 / 500)), len(self.outside) - 1)]

    def size(self):
        """Target size in bytes: lognormal, median ~6 KB, 1 KB..200 KB."""
        s = int(self.r.lognormvariate(8.7, 0.95))
        return max(1024, min(200 * 1024, s))

    def text(self, lang, nbytes):
        r = self.r
        pool = {"en": EN, "cs": CS, "pl": PL}[lang]
        out, n = [], 0
        while n < nbytes:
            para = " ".join(r.choice(pool) for _ in range(r.randint(2, 6)))
            # wrap at ~72 columns like a mail client
            line, lines = "", []
            for w in para.split():
                if len(line) + len(w) + 1 > 72:
                    lines.append(line)
                    line = w
                else:
                    line = (line + " " + w).strip()
            lines.append(line)
            p = "\n".join(lines)
            out.append(p)
            n += len(p.encode()) + 2
        return "\n\n".join(out)

    def charset_for(self, lang):
        r = self.r.random()
        if lang == "en":
            return "us-ascii" if r < 0.3 else "utf-8"
        if r < 0.45:
            return "utf-8"
        return "iso-8859-2" if r < 0.7 else "windows-1250"

    def cte_for(self, charset):
        if charset == "us-ascii":
            return "7bit"
        r = self.r.random()
        return "quoted-printable" if r < 0.55 else ("8bit" if r < 0.85 else "base64")

    def encode_body(self, text, charset, cte):
        data = crlf(text).encode(charset, errors="replace")
        if cte == "base64":
            return b64lines(data).encode() + b"\r\n"
        if cte == "quoted-printable":
            q = quopri.encodestring(data.replace(b"\r\n", b"\n"))
            return crlf(q.decode("ascii")).encode() + b"\r\n"
        return data + b"\r\n"

    def html(self, text, quote):
        paras = "".join("<p>%s</p>\n" % p.replace("\n", " ") for p in text.split("\n\n"))
        q = ""
        if quote:
            q = ('<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px '
                 'solid #ccc;padding-left:1ex">%s</blockquote>\n' %
                 "<br>\n".join(quote.split("\n")))
        return ('<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" '
                'content="text/html; charset=utf-8"><style>body{font-family:'
                'Calibri,Arial,sans-serif;font-size:11pt}</style></head>\n'
                '<body><div dir="ltr">\n%s%s</div></body></html>\n' % (paras, q))

    def attachment(self, nbytes, boundary):
        r = self.r
        kind = r.choice(["pdf", "png", "jpg", "pdf"])
        name = {"pdf": r.choice(["invoice", "faktura", "log", "report", "smlouva"]) + ".pdf",
                "png": "screenshot-%d.png" % r.randint(1, 99),
                "jpg": "IMG_%04d.jpg" % r.randint(1000, 9999)}[kind]
        ctype = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}[kind]
        magic = {"pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "png": b"\x89PNG\r\n\x1a\n",
                 "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"}[kind]
        raw = magic + r.randbytes(max(16, nbytes * 3 // 4 - len(magic)))
        return ("--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                "Content-Disposition: attachment; filename=\"%s\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n" %
                (boundary, ctype, name, name, b64lines(raw))).encode()

    # --- one message ----------------------------------------------------
    def message(self, i):
        r = self.r
        self.t += timedelta(seconds=int(r.expovariate(1 / 240)) + 1)
        recent = self.convs[-300:]
        if self.existing and r.random() < self.existing_share:
            # a reply to a message of an older ticket (bigdb-bench)
            mid, addr, name, subj, lang = r.choice(self.existing)
            conv = {"k": 0, "subject": subj, "lang": lang, "addr": addr,
                    "name": name or None, "ids": [mid], "cc": [], "last_text": ""}
            mode = "existing"
        elif not self.convs or r.random() < 0.45:
            name, addr = self.sender()
            lang = r.choices(["en", "cs", "pl"], [0.6, 0.25, 0.15])[0]
            conv = {"k": len(self.convs) + 1, "subject": r.choice(SUBJECTS[lang]),
                    "lang": lang, "addr": addr, "name": name, "ids": [],
                    "cc": [], "last_text": ""}
            if r.random() < 0.15:
                conv["cc"] = [self.outside[r.randrange(len(self.outside))]
                              for _ in range(r.randint(1, 2))]
            self.convs.append(conv)
            mode = "new"
        else:
            # recent conversations are far more likely to get replies
            conv = recent[-1 - min(int(r.expovariate(1 / 30)), len(recent) - 1)]
            x = r.random()
            mode = "follow-up" if x < 0.4 else ("agent-reply" if x < 0.9 else "tag-only")
        self.stats[mode] += 1
        lang = conv["lang"]
        name, addr = conv["name"], conv["addr"]
        if mode != "new" and conv["cc"] and r.random() < 0.3:
            name, addr = conv["cc"][0]
        domain = addr.split("@")[1]
        msgid = "%08x.%d.%s@%s" % (r.getrandbits(32), i, "pd-bench", domain)
        subject = conv["subject"]
        irt = refs = None
        if mode in ("follow-up", "existing"):
            subject = "Re: " + subject
            irt = conv["ids"][-1]
            refs = conv["ids"][-10:]
        elif mode == "agent-reply":
            subject = "Re: [Support #%d] %s" % (conv["k"], subject)
            agent = "pd.%d.%x@support.example.test" % (conv["k"], r.getrandbits(40))
            irt = agent
            refs = conv["ids"][-9:] + [agent]
        elif mode == "tag-only":
            subject = "[Support #%d] %s" % (conv["k"], subject)
        conv["ids"].append(msgid)

        charset = self.charset_for(lang)
        self.charsets[charset] = self.charsets.get(charset, 0) + 1
        hcs = "utf-8" if charset == "us-ascii" else charset
        target = self.size()

        hdr = []
        hops = r.randint(1, 3)
        for h in range(hops):
            hdr.append("Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n\tby mx.example.test "
                       "(Postfix) with ESMTPS id %X\r\n\tfor <support@example.test>; %s" %
                       (h + 1, domain, h + 1, domain, r.randint(1, 254),
                        r.getrandbits(40), format_datetime(self.t)))
        if r.random() < 0.6:
            sig = base64.b64encode(r.randbytes(256)).decode()
            hdr.append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=sel1;"
                       "\r\n\th=from:to:subject:date:message-id; bh=%s;\r\n\tb=%s\r\n\t %s" %
                       (domain, base64.b64encode(r.randbytes(32)).decode(), sig[:70], sig[70:]))
        hdr.append("Date: " + format_datetime(self.t))
        disp = '"%s" <%s>' % (name, addr) if name and ascii_ok(name) else (
            "%s <%s>" % (enc_word(name, hcs, r), addr) if name else addr)
        hdr.append("From: " + disp)
        hdr.append("To: Support <support@example.test>")
        if conv["cc"] and (mode == "new" or r.random() < 0.5):
            hdr.append("Cc: " + ", ".join("%s <%s>" % (enc_word(n, hcs, r), a)
                                          for n, a in conv["cc"]))
        hdr.append("Subject: " + enc_word(subject, hcs, r))
        hdr.append("Message-ID: <%s>" % msgid)
        if irt:
            hdr.append("In-Reply-To: <%s>" % irt)
            hdr.append("References: " + "\r\n ".join("<%s>" % x for x in refs))
        mailer = r.choice(MAILERS)
        if mailer:
            hdr.append("User-Agent: " + mailer)
        hdr.append("MIME-Version: 1.0")
        if lang != "en":
            hdr.append("Content-Language: " + lang)

        # text: greeting, body, signature, quote of the previous mail
        head_len = sum(len(h) + 2 for h in hdr)
        quote = ""
        if mode != "new" and conv["last_text"] and r.random() < 0.8:
            ql = conv["last_text"].split("\n")[:r.randint(5, 60)]
            quote = WROTE[lang].format(d=format_datetime(self.t - timedelta(hours=3)),
                                       n=name or addr) + "\n" + \
                "\n".join("> " + l for l in ql)
        structure = "plain"
        x = r.random()
        if target > 30 * 1024 or x < 0.08:
            structure = "attachment"
        elif x < 0.40:
            structure = "alternative"
        self.stats[structure] += 1
        if structure == "attachment":
            body_bytes = max(300, min(target - head_len - 600, r.randint(400, 3000)))
        elif structure == "alternative":
            body_bytes = max(300, (target - head_len - len(quote) * 2 - 900) // 2)
        else:
            body_bytes = max(450, target - head_len - len(quote) - 300)
        body = "%s\n\n%s\n\n%s\n%s" % (r.choice(GREET[lang]), self.text(lang, body_bytes),
                                       r.choice(BYE[lang]), name or addr.split("@")[0])
        conv["last_text"] = body
        full = body + ("\n\n" + quote if quote else "")
        cte = self.cte_for(charset)
        flowed = "; format=flowed" if r.random() < 0.4 else ""
        tpart = ("Content-Type: text/plain; charset=%s%s\r\n"
                 "Content-Transfer-Encoding: %s\r\n\r\n" % (charset, flowed, cte)).encode() + \
            self.encode_body(full, charset, cte)
        b1 = "----=_Part_%d_%d" % (i, r.getrandbits(30))
        b2 = "----=_Alt_%d_%d" % (i, r.getrandbits(30))

        def alternative(boundary):
            h = self.html(body, quote)
            hcte = "quoted-printable" if charset != "us-ascii" else "7bit"
            hpart = ("Content-Type: text/html; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: %s\r\n\r\n" % hcte).encode() + \
                self.encode_body(h, "utf-8", hcte)
            return (("Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
                     "--%s\r\n" % (boundary, boundary)).encode() + tpart +
                    ("--%s\r\n" % boundary).encode() + hpart +
                    ("--%s--\r\n" % boundary).encode())

        if structure == "plain":
            top = tpart
        elif structure == "alternative":
            top = alternative(b2)
        else:
            inner = alternative(b2) if r.random() < 0.5 else tpart
            top = (("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                    "This is a multi-part message in MIME format.\r\n--%s\r\n" %
                    (b1, b1)).encode() + inner)
            left = target - head_len - len(top) - 200
            if left < 2000 and target > 30 * 1024:
                left = 2000
            nat = 1 if left < 60000 or r.random() < 0.6 else 2
            for _ in range(nat):
                top += self.attachment(max(1500, left // nat), b1)
            top += ("--%s--\r\n" % b1).encode()
        return ("\r\n".join(hdr) + "\r\n").encode() + top


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("-n", "--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["eml", "maildir"], default="eml")
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("--existing", metavar="FILE",
                    help="reply to these messages too: lines of MESSAGE-ID, FROM, NAME, "
                    "SUBJECT, LANG (tab-separated), e.g. the ones bigdb-fill.py picked")
    ap.add_argument("--existing-share", type=float, default=0.3,
                    help="share of the messages that reply to --existing (default 0.3)")
    a = ap.parse_args()
    g = Gen(a.seed)
    if a.existing:
        with open(a.existing, encoding="utf-8") as f:
            g.existing = [tuple(l.rstrip("\n").split("\t")) for l in f if l.strip()]
        g.existing_share = a.existing_share
    if a.format == "maildir":
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(a.out, d), exist_ok=True)
    else:
        os.makedirs(a.out, exist_ok=True)
    sizes = []
    base = 1700000000
    for i in range(1, a.count + 1):
        data = g.message(i)
        sizes.append(len(data))
        if a.format == "maildir":
            # Dovecot assigns UIDs to new files in file-name order.
            name = "%d.M%06dP1.pd-bench,S=%d:2," % (base + i, i, len(data))
            path = os.path.join(a.out, "cur", name)
        else:
            path = os.path.join(a.out, "%05d.eml" % i)
        with open(path, "wb") as f:
            f.write(data)
    if a.stats:
        s = sorted(sizes)
        q = lambda p: s[min(len(s) - 1, int(p * len(s)))]
        print("messages %d, bytes %d (%.1f MiB), size min %d p10 %d median %d p90 %d max %d" %
              (len(s), sum(s), sum(s) / 1048576, s[0], q(.1), q(.5), q(.9), s[-1]))
        print("between 2 and 20 KB: %.0f %%" %
              (100 * sum(1 for x in s if 2048 <= x <= 20480) / len(s)))
        print("conversations %d; " % len(g.convs) +
              ", ".join("%s %d" % kv for kv in g.stats.items()))
        print("charsets: " + ", ".join("%s %d" % kv for kv in sorted(g.charsets.items())))


if __name__ == "__main__":
    main()
