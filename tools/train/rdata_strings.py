"""Read the character vectors of an R lazy-load database (Rdata.rdx/.rdb) without R.

r-cran-janeaustenr ships Jane Austen's novels as R data; this reads them with a minimal
reader of R's XDR serialization format (R Internals, "Serialization Formats":
https://cran.r-project.org/doc/manuals/r-release/R-ints.html#Serialization-Formats).
Only the types that package uses are supported; anything else raises with the type code.

usage: rdata_strings.py <dir-with-Rdata.rdx> <out-dir>   -> one <name>.txt per character vector
"""
import bz2, gzip, lzma, os, struct, sys, zlib


def unpack_chunk(buf):
    # lazy-load chunk: 4-byte big-endian uncompressed length, then (optionally typed) compressed bytes
    n = struct.unpack(">I", buf[:4])[0]
    body = buf[4:]
    if body[:1] in (b"Z", b"2", b"X", b"0") and len(body) > 1:
        kind, rest = body[:1], body[1:]
        if kind == b"Z": return zlib.decompress(rest)
        if kind == b"2": return bz2.decompress(rest)
        if kind == b"X": return lzma.decompress(rest)
        if kind == b"0": return rest
    out = zlib.decompress(body)
    assert len(out) == n, "chunk length mismatch"
    return out


class XdrReader:
    def __init__(self, data):
        assert data[:2] == b"X\n", "only XDR (binary big-endian) serialization is supported"
        self.d, self.p, self.refs = data, 2, []
        version = self.int()
        self.int(); self.int()  # writer R version, minimal reader version
        if version == 3:
            n = self.int(); self.p += n  # native encoding name

    def int(self):
        v = struct.unpack(">i", self.d[self.p:self.p + 4])[0]; self.p += 4; return v

    def item(self):
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if t == 254: return None                      # R_NilValue
        if t in (242, 251, 252, 253): return None     # empty env, missing arg, base env, global env
        if t == 255: return self.refs[(flags >> 8) - 1]  # REFSXP
        if t == 1:                                    # SYMSXP
            s = self.item(); self.refs.append(s); return s
        if t == 9:                                    # CHARSXP
            n = self.int()
            if n == -1: return None
            s = self.d[self.p:self.p + n].decode("utf-8", "replace"); self.p += n; return s
        if t in (2, 6):                               # LISTSXP / LANGSXP (pairlist)
            out = []
            while True:
                attr = self.item() if has_attr else None
                tag = self.item() if has_tag else None
                out.append((tag, self.item()))
                flags = self.int(); t = flags & 0xFF
                has_attr, has_tag = bool(flags & (1 << 9)), bool(flags & (1 << 10))
                if t == 254: return out
                if t not in (2, 6): raise ValueError(f"pairlist continued by type {t}")
        if t in (16, 19, 20):                         # STRSXP, VECSXP, EXPRSXP
            n = self.int(); v = [self.item() for _ in range(n)]
        elif t in (10, 13):                           # LGLSXP, INTSXP
            n = self.int(); v = list(struct.unpack(f">{n}i", self.d[self.p:self.p + 4 * n])); self.p += 4 * n
        elif t == 14:                                 # REALSXP
            n = self.int(); v = list(struct.unpack(f">{n}d", self.d[self.p:self.p + 8 * n])); self.p += 8 * n
        else:
            raise ValueError(f"unsupported R type {t} at byte {self.p}")
        if has_attr:
            names = dict(self.item() or []).get("names")
            if names is not None and t == 19: return dict(zip(names, v))  # a named list
        return v


def main(src, out):
    os.makedirs(out, exist_ok=True)
    rdx = XdrReader(gzip.decompress(open(os.path.join(src, "Rdata.rdx"), "rb").read())).item()  # saveRDS: gzip
    rdb = open(os.path.join(src, "Rdata.rdb"), "rb").read()
    for name, (off, length) in sorted(rdx["variables"].items()):
        obj = XdrReader(unpack_chunk(rdb[off:off + length])).item()
        if isinstance(obj, list) and all(isinstance(s, (str, type(None))) for s in obj):
            with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(s or "" for s in obj) + "\n")
            print(name, len(obj), "lines", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
