"""Build InferMesh-tiny's training corpus from unpacked Debian packages (standard library only).

usage: prepare_corpus.py <root> <out>
  <root>/<package>/ holds each package unpacked with `dpkg -x` (prepare_corpus.sh does that);
  <out>/train.jsonl and <out>/valid.jsonl get one {"src", "text"} document per line, in a fixed
  order; <out>/stats.json counts documents and bytes per source and split.

Documents are whole chapters, sections, entries or fortunes; plain text, or ChatML conversations
(<|im_start|>role\\n...<|im_end|>\\n) made from material that is already question and answer
(FAQs, glossaries) or from "continue this passage" pairs cut from the novels. Every document goes
to validation or training by a hash of its key, so the split never depends on order or machine.
"""
import glob, gzip, hashlib, html, html.parser, json, os, re, struct, sys, unicodedata, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rdata_strings  # noqa: E402

VALID_PERCENT = 2
SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are InferMesh, a small and friendly assistant.",
                  "Answer briefly and clearly."]
QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ", "\u2003": " ",
          "\u2002": " ", "\u2009": " ", "\u200b": "", "\ufeff": "", "\u00ad": ""}


def h(key):
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def clean(text):
    """Normalise what differs between sources only in typography, so the tokenizer spends no
    vocabulary on it: NFC, ASCII quotes, no tabs, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text)
    for a, b in QUOTES.items():
        text = text.replace(a, b)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.expandtabs(4).rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    if "<|" in text or "|>" in text:
        return ""  # would read as a ChatML marker: such a document is dropped
    return text.strip("\n")


def unwrap(block):
    """Join a hard-wrapped paragraph into one line."""
    text = " ".join(line.strip() for line in block.strip("\n").split("\n") if line.strip())
    return re.sub(r"(?<=\S)  +", " ", text)


def paragraphs(text):
    return [b for b in re.split(r"\n\s*\n", text) if b.strip()]


def chat(turns, key):
    """ChatML rendering, identical to the chat template the exported tokenizer carries."""
    msgs = []
    if h("sys" + key) % 2 == 0:
        msgs.append(("system", SYSTEM_PROMPTS[h("which" + key) % len(SYSTEM_PROMPTS)]))
    msgs += turns
    return "".join(f"<|im_start|>{r}\n{c.strip()}<|im_end|>\n" for r, c in msgs)


# ---------------------------------------------------------------- sources
def austen(root):
    src = f"{root}/r-cran-janeaustenr/usr/lib/R/site-library/janeaustenr/data"
    rdx = rdata_strings.XdrReader(gzip.decompress(open(f"{src}/Rdata.rdx", "rb").read())).item()
    rdb = open(f"{src}/Rdata.rdb", "rb").read()
    for name, (off, length) in sorted(rdx["variables"].items()):
        lines = rdata_strings.XdrReader(rdata_strings.unpack_chunk(rdb[off:off + length])).item()
        if not (isinstance(lines, list) and lines and all(isinstance(s, (str, type(None))) for s in lines)):
            continue
        text = "\n".join(s or "" for s in lines).replace("_", "")
        parts = re.split(r"\n(?=(?:CHAPTER|Chapter) [0-9IVXLC]+\.?\s*\n)", text)
        for i, part in enumerate(parts[1:]):  # parts[0] is the title page
            paras = [unwrap(p) for p in paragraphs(part)]
            yield f"austen/{name}/{i}", "\n\n".join(paras)


def web_bible(root):
    d = f"{root}/sword-text-web/usr/share/sword/modules/texts/ztext/engWEB2015eb"
    osis = []
    for t in ("ot", "nt"):  # SWORD zText: .bzs block index, .bzz zlib blocks, .bzv verse index
        bzs, bzz, bzv = (open(f"{d}/{t}.{e}", "rb").read() for e in ("bzs", "bzz", "bzv"))
        blocks = [zlib.decompress(bzz[o:o + s]) for o, s, _ in
                  (struct.unpack("<III", bzs[i:i + 12]) for i in range(0, len(bzs), 12))]
        for i in range(0, len(bzv), 10):
            b, o, s = struct.unpack("<IIH", bzv[i:i + 10])
            if s:
                osis.append(blocks[b][o:o + s].decode("utf-8"))
    text = " ".join(osis)
    text = re.sub(r"<note\b.*?</note>", " ", text, flags=re.S)
    text = re.sub(r"<title\b[^>]*>(.*?)</title>", r"\n\n\1\n\n", text, flags=re.S)
    chapters = re.split(r"<chapter eID=\"[^\"]*\"/>", text)
    for i, ch in enumerate(chapters):
        ch = re.sub(r"<div [^>]*type=\"x-p\"[^>]*/>|<lg [^>]*/>", "\n\n", ch)
        ch = re.sub(r"<l [^>]*sID=[^>]*/>|<lb [^>]*/>", "\n", ch)
        ch = re.sub(r"<[^<>]*>", "", ch).replace("<d", "")
        ch = html.unescape(ch)
        ch = re.sub(r"[ \t]+", " ", ch)
        ch = re.sub(r" +([,.;:!?\)])", r"\1", ch)
        ch = "\n".join(line.strip() for line in ch.split("\n"))
        ch = re.sub(r"\n{3,}", "\n\n", ch).strip()
        if len(ch) > 200:
            yield f"web/{i}", ch


def kjv(root):
    """bible-kjv's own reader renders its compressed text (prepare_corpus.sh runs it into
    bible-kjv.txt): "Book N" headings, then numbered verses wrapped at 80 columns."""
    raw = open(f"{root}/bible-kjv.txt", encoding="utf-8").read()
    chapters = re.split(r"\n(?=\S[^\n]* \d+\n)", "\n" + raw.strip("\n"))
    for i, ch in enumerate(c for c in chapters if c.strip()):
        head, _, body = ch.strip("\n").partition("\n")
        verses = [unwrap(v) for v in re.split(r"\n\s+\d+ ", "\n" + body.strip("\n")) if v.strip()]
        if verses:
            yield f"kjv/{i}", head.strip() + "\n\n" + "\n".join(verses)


FORTUNE_FILES = [  # fortunes-min and fortunes; offensive-prone and non-prose files left out
    ("fortunes-min", ["fortunes", "literature", "riddles"]),
    ("fortunes", ["art", "computers", "cookie", "debian", "definitions", "disclaimer", "education", "food",
                  "goedel", "humorists", "kids", "law", "linux", "linuxcookie", "love", "magic", "medicine",
                  "miscellaneous", "news", "paradoxum", "people", "pets", "platitudes", "pratchett", "science",
                  "songs-poems", "sports", "startrek", "tao", "wisdom", "work"]),
]


def fortunes(root):
    for pkg, files in FORTUNE_FILES:
        for f in files:
            raw = open(f"{root}/{pkg}/usr/share/games/fortunes/{f}", encoding="utf-8", errors="replace").read()
            for i, fortune in enumerate(raw.split("\n%\n")):
                fortune = fortune.strip("%\n")
                letters = sum(c.isalpha() for c in fortune)
                if len(fortune) < 20 or len(fortune) > 3000 or letters < 0.6 * len(fortune.replace(" ", "")):
                    continue  # empty, over-long or ascii-art
                yield f"fortune/{f}/{i}", fortune


def devil(root):
    raw = gzip.open(f"{root}/dict-devil/usr/share/dictd/devil.dict.dz", "rt", encoding="utf-8").read()
    entries = re.split(r"\n(?=[A-Z][A-Z' \-]+, [a-z. &]+)", raw)
    for i, e in enumerate(entries):
        if e.startswith("00-database") or "http://" in e[:200] or len(e) < 30:
            continue
        blocks = []
        for b in paragraphs(e):
            # verse keeps its lines, prose is unwrapped
            blocks.append(b.strip("\n") if b.startswith("    ") else unwrap(b))
        yield f"devil/{i}", "\n\n".join(blocks).replace("_", "")


def jargon(root):
    raw = gzip.open(f"{root}/jargon-text/usr/share/doc/jargon-text/jargon.txt.gz", "rt", encoding="utf-8").read()
    parts = re.split(r"\n   :([^:\n]+): ?([^\n]*)\n", raw)
    for i in range(1, len(parts) - 2, 3):
        term, pos, body = parts[i].strip(), parts[i + 1].strip(), parts[i + 2]
        body = body.split("\n---")[0]
        body = re.sub(r"\{([^{}]*)\}", r"\1", body)
        paras = [unwrap(p) for p in paragraphs(body)]
        # between letters the file lists the next letter's headwords, one per paragraph: drop such lines
        paras = [p for p in paras if len(p) >= 50 or re.search(r"[.!?:)\]]$", p)]
        if not paras or len(term) > 60:
            continue
        key = f"jargon/{term}"
        answer = "\n\n".join(paras)
        q = ['What does "{t}" mean?', "What is {t}?", 'Define "{t}" in hacker jargon.',
             'What is meant by "{t}"?'][h(key) % 4].format(t=term)
        if h("form" + key) % 3 == 0:
            yield key, f"{term}, {pos}\n\n{answer}" if pos else f"{term}\n\n{answer}"
        else:
            yield key, chat([("user", q), ("assistant", answer)], key)


def debian_faq(root):
    raw = gzip.open(f"{root}/debian-faq/usr/share/doc/debian/FAQ/debian-faq.en.txt.gz", "rt",
                    encoding="utf-8").read().replace("\u00a0", " ")
    body = raw[raw.index("\nChapter 1."):]
    parts = re.split(r"\n(\d+\.\d+\. [^\n]+(?:\n[^ \n][^\n]*)*)\n", body)
    for i in range(1, len(parts) - 1, 2):
        question = re.sub(r"^\d+\.\d+\. ", "", unwrap(parts[i]))
        text = re.split(r"\nChapter \d+\.", parts[i + 1])[0]
        blocks = []
        for b in paragraphs(text):
            b = re.sub(r"^\s*\d+\.\d+\.\d+\. ", "", b)
            items = re.split(r"\n\s*\* ", "\n" + b.strip("\n")) if re.match(r"\s*\* ", b) else None
            blocks.append("\n".join("- " + unwrap(x) for x in items if x.strip()) if items else unwrap(b))
        answer = "\n\n".join(blocks)
        if answer:
            key = f"debian-faq/{i}"
            yield key, chat([("user", question), ("assistant", answer)], key)


def debian_reference(root):
    raw = gzip.open(f"{root}/debian-reference-en/usr/share/debian-reference/debian-reference.en.txt.gz", "rt",
                    encoding="utf-8").read().replace("\u00a0", " ")
    sections = re.split(r"\n(?=\d+\.\d+\. [A-Z])", raw)
    for i, sec in enumerate(sections[1:]):
        keep = []
        for b in paragraphs(sec):
            lines = [x for x in b.split("\n") if x.strip()]
            if any(re.match(r"\s*[|+]", x) for x in lines):
                continue  # tables
            if all(x.startswith("    ") for x in lines) and not re.match(r"\s*[$#]", lines[0]) \
                    and sum(c.isalpha() for c in b) > 0.6 * len(b.replace(" ", "")):
                keep.append(unwrap(b))
            elif not lines[0].startswith(" "):
                keep.append(unwrap(b))  # heading
        if sum(len(k) for k in keep) > 300:
            yield f"debian-reference/{i}", "\n\n".join(keep)


class ParagraphText(html.parser.HTMLParser):
    """Text of DocBook paragraphs (<div class="para">, <p>) and headings; code listings (<pre>) are left out."""

    def __init__(self):
        super().__init__()
        self.out, self.cur, self.stack = [], [], []  # stack: (tag, opens a paragraph)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "meta", "link", "hr", "input", "col", "area"):
            return
        para = (tag in ("p", "h1", "h2", "h3") or (tag == "div" and ("class", "para") in attrs))
        para = para and not any(p for _, p in self.stack)
        if para:
            self.cur = []
        self.stack.append((tag, para))

    def handle_endtag(self, tag):
        while self.stack:
            t, para = self.stack.pop()
            if para:
                text = re.sub(r"\s+", " ", "".join(self.cur)).strip()
                if text: self.out.append(text)
            if t == tag:
                break

    def handle_data(self, data):
        if any(p for _, p in self.stack) and not any(t == "pre" for t, _ in self.stack):
            self.cur.append(data)


def debian_handbook(root):
    files = sorted(glob.glob(f"{root}/debian-handbook/usr/share/doc/debian-handbook/html/en-US/*.html"))
    for f in files:
        p = ParagraphText()
        p.feed(open(f, encoding="utf-8").read())
        paras = [x for x in p.out if len(x) > 2 and not x.startswith("Copyright")]
        if sum(len(x) for x in paras) > 500:
            yield f"debian-handbook/{os.path.basename(f)}", "\n\n".join(paras)


def doc_debian(root):
    d = f"{root}/doc-debian/usr/share/doc/debian"
    for name in ("social-contract.txt.gz", "debian-manifesto.gz", "constitution.txt.gz"):
        text = gzip.open(f"{d}/{name}", "rt", encoding="utf-8").read()
        blocks = [unwrap(b) if not re.match(r"\s*(\d+\.|[-*])", b) else b.strip("\n")
                  for b in paragraphs(re.sub(r"\n[ _*=-]{5,}(?=\n)", "\n", text))
                  if not re.fullmatch(r"[\s_*=-]+", b)]
        yield f"doc-debian/{name}", "\n\n".join(blocks)


def rst_text(text):
    """Readable plain text from reStructuredText: roles and links reduced to their words,
    directives dropped, literal blocks kept."""
    text = re.sub(r":[a-z]+(?::[a-z]+)?:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`__?", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"`([^`]+)`_?", r"\1", text)
    out, skip = [], False
    for line in text.split("\n"):
        if re.match(r"\.\. ", line):
            skip = not re.match(r"\.\. (code-block|sourcecode)::", line)
            continue
        if skip and (line.startswith("   ") or not line.strip()):
            continue
        skip = False
        if re.fullmatch(r"[=\-~^\"*+#]{3,}", line.strip()):
            continue
        out.append(line[:-2] + ":" if line.endswith("::") and len(line) > 2 else line.replace("::", ""))
    return "\n".join(out)


def rst_blocks(text):
    blocks = []
    for b in paragraphs(text):
        if b.startswith(" ") or ">>>" in b:
            blocks.append(b.strip("\n"))  # literal/code block or quotation: keep lines
        else:
            blocks.append(unwrap(b))
    return "\n\n".join(blocks)


def python_docs(root):
    d = f"{root}/python3.11-doc/usr/share/doc/python3.11/html/_sources"
    for f in sorted(glob.glob(f"{d}/faq/*.rst.txt")):
        raw = open(f, encoding="utf-8").read()
        parts = re.split(r"\n([^\n]+\?)\n-{3,}\n", raw)
        for i in range(1, len(parts) - 1, 2):
            answer = rst_blocks(rst_text(re.split(r"\n[^\n]+\n={3,}\n", parts[i + 1])[0]))
            if len(answer) > 40:
                key = f"python-faq/{os.path.basename(f)}/{i}"
                yield key, chat([("user", rst_text(parts[i]).strip()), ("assistant", answer)], key)
    howto = [f"{d}/howto/{n}.rst.txt" for n in ("argparse", "descriptor", "enum", "functional", "ipaddress",
                                                 "logging", "pyporting", "regex", "sockets", "sorting", "unicode",
                                                 "urllib2")]
    for f in sorted(glob.glob(f"{d}/tutorial/*.rst.txt")) + howto:
        raw = open(f, encoding="utf-8").read()
        for i, sec in enumerate(re.split(r"\n(?=[^\n]+\n[=\-*]{3,}\n)", raw)):
            text = rst_blocks(rst_text(sec))
            if len(text) > 300:
                yield f"python-{os.path.basename(os.path.dirname(f))}/{os.path.basename(f)}/{i}", text


def continuations(docs):
    """"Continue this passage" chats cut from every fourth novel chapter: the user gives the opening
    paragraphs, the assistant writes the next ones, so chat turns stay fluent prose."""
    for key, text in docs:
        if h("cont" + key) % 4:
            continue
        paras = [p for p in paragraphs(text) if not re.fullmatch(r"(CHAPTER|Chapter) \w+\.?", p.strip())]
        if len(paras) < 6:
            continue
        k = 1 + h("k" + key) % 2
        prompt = ["Continue the story:", "Please continue this passage.", "What happens next?"][h("p" + key) % 3]
        yield key, chat([("user", prompt + "\n\n" + "\n\n".join(paras[:k])),
                         ("assistant", "\n\n".join(paras[k:k + 4]))], "cont" + key)


def smalltalk():
    """A few hand-written greetings and replies about the model itself (our own text, CC0)."""
    pairs = [
        ("Hello!", "Hello! How can I help you today?"),
        ("Hi there", "Hi! What would you like to talk about?"),
        ("Good morning.", "Good morning! I hope your day is going well. What can I do for you?"),
        ("Who are you?", "I am InferMesh-tiny, a small language model trained on public domain books, "
                         "fortunes and Debian documentation. I can continue a piece of text or chat a little."),
        ("What can you do?", "I can continue a passage of English text, tell you a fortune, or answer simple "
                             "questions about Debian and computing. I am a very small model, so I often make mistakes."),
        ("Thank you!", "You are welcome."),
        ("Thanks for your help.", "You're welcome! Let me know if there is anything else."),
        ("Goodbye.", "Goodbye! Have a nice day."),
        ("Tell me a fortune.", "A journey of a thousand miles begins with a single step."),
        ("Can you tell me a joke?", "Why do programmers prefer dark mode? Because light attracts bugs."),
        ("How are you?", "I am doing well, thank you for asking. How are you?"),
        ("What is your name?", "My name is InferMesh-tiny."),
        ("Are you a person?", "No, I am a small computer program that predicts the next word of a text."),
        ("Write a sentence about the sea.", "The sea was calm that evening, and the last light of the sun lay "
                                            "on the water like a path of gold."),
        ("Say something nice.", "Every day is a fresh chance to learn something new."),
        ("What is Debian?", "Debian is a free operating system built by volunteers from around the world. "
                            "It is made of thousands of software packages."),
    ]
    for i, (q, a) in enumerate(pairs):
        for rep in range(8):  # repeated with different system prompts so the turn pattern is learnt
            key = f"smalltalk/{i}/{rep}"
            yield key, chat([("user", q), ("assistant", a)], key)


# ---------------------------------------------------------------- main
def main(root, out):
    os.makedirs(out, exist_ok=True)
    novels = list(austen(root))
    sources = [("austen", novels), ("web", web_bible(root)), ("kjv", kjv(root)), ("fortunes", fortunes(root)),
               ("devil", devil(root)), ("jargon", jargon(root)), ("debian-faq", debian_faq(root)),
               ("debian-reference", debian_reference(root)), ("debian-handbook", debian_handbook(root)),
               ("doc-debian", doc_debian(root)), ("python-docs", python_docs(root)),
               ("continuations", continuations(novels)), ("smalltalk", smalltalk())]
    stats = {}
    with open(f"{out}/train.jsonl", "w", encoding="utf-8") as tr, open(f"{out}/valid.jsonl", "w", encoding="utf-8") as va:
        for name, docs in sources:
            for key, text in docs:
                text = clean(text) if not text.startswith("<|im_start|>") else clean_chat(text)
                if not text:
                    continue
                # continuations inherit their chapter's split so no validation text leaks into training
                split = "valid" if h(key) % 100 < VALID_PERCENT and name != "smalltalk" else "train"
                (va if split == "valid" else tr).write(json.dumps({"src": name, "text": text}, ensure_ascii=False) + "\n")
                s = stats.setdefault(name, {"train_docs": 0, "train_bytes": 0, "valid_docs": 0, "valid_bytes": 0})
                s[f"{split}_docs"] += 1
                s[f"{split}_bytes"] += len(text.encode())
    json.dump(stats, open(f"{out}/stats.json", "w"), indent=1)
    for k, v in stats.items():
        print(f"{k:18s} {v['train_docs']:7d} docs {v['train_bytes'] / 1e6:7.2f} MB train "
              f"{v['valid_docs']:5d} docs {v['valid_bytes'] / 1e6:6.2f} MB valid")


def clean_chat(text):
    turns = [(r, clean(c)) for r, c in re.findall(r"<\|im_start\|>(\w+)\n(.*?)<\|im_end\|>\n", text, flags=re.S)]
    if any(not c for _, c in turns):
        return ""
    return "".join(f"<|im_start|>{r}\n{c}<|im_end|>\n" for r, c in turns)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
