#!/usr/bin/env python3
"""Reads the DOM that headless Chromium dumped of the HTML report and prints
what a reader of the page sees, as JSON, for report_html_browser_test.cpp.

    report_dom.py DUMPED_DOM_FILE

Python's own HTML parser (html.parser, which decodes character references)
builds a plain tree; nothing of the report's C++ is used, so a page the
renderer wrote wrongly cannot be read back "right" by the same mistake.

Output:
  {"title": TEXT, "csp": CONTENT | null,
   "rows": [{"peer": ATTR, "state": ATTR, "cells": [TEXT, ...]}],      table#hosts tbody tr
   "charts": [{"host": ATTR, "entry": ATTR, "axis": [TEXT, ...],       svg.backup-chart
               "points": [{"series": ATTR, "snapshot": ATTR, "cx": NUM, "cy": NUM}]}],
   "problems": [{"peer": ATTR, "level": ATTR, "text": TEXT}],          section#problems li.problem
   "conflicts": [{"host": ATTR, "profile": ATTR, "text": TEXT}],       li.conflict
   "fetching": ["what in the page would fetch or run something", ...]}
"""

import html.parser
import json
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []  # Node or str

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else c.text())
        return "".join(out)

    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()

    def find_all(self, tag=None, cls=None, attr=None):
        return [n for n in self.walk()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes())
                and (attr is None or attr in n.attrs)]

    def ancestor(self, tag=None, cls=None):
        n = self.parent
        while n is not None:
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes()):
                return n
            n = n.parent
        return None


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        parser = TreeBuilder()
        parser.feed(f.read())
        parser.close()
    root = parser.root
    out = {"title": None, "csp": None, "rows": [], "charts": [], "problems": [], "conflicts": [], "fetching": []}
    titles = [t for t in root.find_all("title") if t.ancestor("svg") is None]
    if titles:
        out["title"] = titles[0].text()
    for m in root.find_all("meta"):
        if (m.attrs.get("http-equiv") or "").lower() == "content-security-policy":
            out["csp"] = m.attrs.get("content")
    for table in root.find_all("table"):
        if table.attrs.get("id") != "hosts":
            continue
        for tbody in table.find_all("tbody"):
            for tr in tbody.find_all("tr"):
                out["rows"].append({"peer": tr.attrs.get("data-peer"), "state": tr.attrs.get("data-state"),
                                    "cells": [squeeze(td.text()) for td in tr.find_all("td")]})
    for svg in root.find_all("svg", cls="backup-chart"):
        chart = {"host": svg.attrs.get("data-host"), "entry": svg.attrs.get("data-entry"), "points": [],
                 "axis": [squeeze(t.text()) for g in svg.find_all("g", cls="axis") for t in g.find_all("text")]}
        for c in svg.find_all("circle", attr="data-snapshot"):
            chart["points"].append({"series": c.attrs.get("data-series"), "snapshot": c.attrs.get("data-snapshot"),
                                    "cx": float(c.attrs.get("cx", "nan")), "cy": float(c.attrs.get("cy", "nan"))})
        out["charts"].append(chart)
    for li in root.find_all("li", cls="problem"):
        if li.ancestor("section") is None or li.ancestor("section").attrs.get("id") != "problems":
            continue
        group = li.ancestor(cls="group")
        out["problems"].append({"peer": group.attrs.get("data-peer") if group else None,
                                "level": li.attrs.get("data-level"), "text": squeeze(li.text())})
    for li in root.find_all("li", cls="conflict"):
        out["conflicts"].append({"host": li.attrs.get("data-host"), "profile": li.attrs.get("data-profile"),
                                 "text": squeeze(li.text())})
    # Whatever would load or run something: elements, attributes, CSS.
    for n in root.walk():
        if n.tag in ("script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source",
                     "image", "use", "base", "form", "input", "foreignobject"):
            out["fetching"].append("<%s>" % n.tag)
        for name, value in n.attrs.items():
            value = value or ""
            if name.startswith("on"):
                out["fetching"].append("%s on <%s>" % (name, n.tag))
            if name in ("src", "srcset", "action", "formaction", "poster", "data", "background", "ping") or \
                    (name in ("href", "xlink:href") and not value.startswith("#")):
                out["fetching"].append("%s=%r on <%s>" % (name, value, n.tag))
            if name == "style" and re.search(r"url\(|@import", value, re.I):
                out["fetching"].append("style %r on <%s>" % (value, n.tag))
        if n.tag == "style" and re.search(r"url\(|@import", n.text(), re.I):
            out["fetching"].append("url( or @import in <style>")
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
