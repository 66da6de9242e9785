"""Writes UnicodeNormalizationVectors.json: inputs with their NFC, NFD, NFKC and NFKD forms from CPython's
unicodedata, the independent reference for UnicodeNormalizerTests.
Run: python3 make_normalization_vectors.py > UnicodeNormalizationVectors.json"""
import json, random, sys, unicodedata as u

random.seed(4)
changing = [c for c in range(0x110000)
            if not 0xD800 <= c <= 0xDFFF and any(u.normalize(f, chr(c)) != chr(c) for f in ("NFC", "NFD", "NFKC", "NFKD"))]
marks = [c for c in range(0x300, 0x370)] + [0x0591, 0x05B0, 0x0E38, 0x1DC0, 0x20D0, 0x302A, 0x3099, 0x1D165, 0x1D16D]
bases = [ord(c) for c in "aeiouAEOUcnsyzCSZ"] + [0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01, 0x0915, 0x093C, 0x09C7, 0x09BE, 0x0B47, 0x0B3E, 0x3046, 0x304B]
inputs = [chr(c) for c in changing[::10]]
for _ in range(600):
    s = "".join(chr(random.choice(bases)) + "".join(chr(random.choice(marks)) for _ in range(random.randint(0, 3)))
                for _ in range(random.randint(1, 4)))
    inputs.append(s)
inputs += ["café naïve — 東京 🚀 ü", "e\u0301\u0323", "\u1e0b\u0323", "\ufb01\u00bd\u2460", "\u0041\u030a\u212b", "\u1100\u1161\u11a8"]
cases = [{"text": s, "nfc": u.normalize("NFC", s), "nfd": u.normalize("NFD", s),
          "nfkc": u.normalize("NFKC", s), "nfkd": u.normalize("NFKD", s)} for s in inputs]
json.dump({"unicode_version": u.unidata_version, "cases": cases}, sys.stdout, ensure_ascii=False)
