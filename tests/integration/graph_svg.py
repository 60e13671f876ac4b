#!/usr/bin/env python3
"""Read an SVG that `netlab graph` rendered, as the tests look at the picture.

  graph_svg.py summary FILE       one line per cluster, node and edge with its texts, sorted;
                                  the generated names (br-..., nl..., -P host ports) replaced,
                                  so two renderings of one lab compare equal
  graph_svg.py raw FILE           the same with the names as they are
  graph_svg.py x FILE NODE...     each node's centre x, one per line
  graph_svg.py inside FILE NODE   the clusters whose box holds the node's box ("-" for none)
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
# Names the kernel objects got from random ids, and ports -P picked: not part of the picture.
GENERATED = [
    (re.compile(r"br-[0-9a-f]{12}"), "br-ID"),
    (re.compile(r"\bnl[0-9a-f]{12}\b"), "nlID"),
    (re.compile(r"host:(3[2-9]|[4-5][0-9]|6[0-9])[0-9]{3}/"), "host:EPHEMERAL/"),
    (re.compile(r"pub:([^:]*):([^:]*):[0-9]+"), r"pub:\1:\2:N"),
]


def normal(s):
    for pat, rep in GENERATED:
        s = pat.sub(rep, s)
    return s


def groups(path):
    """(class, title, texts, points) for every cluster, node and edge."""
    root = ET.parse(path).getroot()
    out = []
    for g in root.iter(NS + "g"):
        kind = g.get("class")
        if kind not in ("cluster", "node", "edge"):
            continue
        title = g.find(NS + "title").text or ""
        texts = " ".join(t.text or "" for t in g.iter(NS + "text"))
        texts = " ".join(texts.replace("\u00a0", " ").split())
        pts = []
        for el in g.iter():
            for attr in ("points", "d"):
                if el.get(attr):
                    nums = [float(n) for n in re.findall(r"-?[0-9.]+", el.get(attr))]
                    pts += list(zip(nums[0::2], nums[1::2]))
        out.append((kind, title, texts, pts))
    return out


def box(pts):
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def find(gs, title):
    for g in gs:
        if g[1] == title and g[0] == "node":
            return g
    sys.exit("no node " + title)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    gs = groups(path)
    if cmd in ("summary", "raw"):
        keep = (lambda s: s) if cmd == "raw" else normal
        lines = {keep(f"{k} {t} | {x}") for k, t, x, _ in gs}
        print("\n".join(sorted(lines)))
    elif cmd == "x":
        for name in sys.argv[3:]:
            x0, _, x1, _ = box(find(gs, name)[3])
            print(round((x0 + x1) / 2))
    elif cmd == "inside":
        n = box(find(gs, sys.argv[3])[3])
        held = [t for k, t, _, p in gs if k == "cluster" and p and
                box(p)[0] <= n[0] and box(p)[1] <= n[1] and box(p)[2] >= n[2] and box(p)[3] >= n[3]]
        print(" ".join(sorted(held)) or "-")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
