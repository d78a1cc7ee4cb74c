#!/usr/bin/env python3
"""Writes src/generated/html-entities.json: the WHATWG HTML5 named character references (as Python's
html.entities.html5 lists them) and the all-caps aliases that ftfy's default fix_text also decodes.
This is a data table, regenerated only when those upstream tables change. Usage: gen_html_entities.py OUT"""
import html.entities
import json
import sys

from ftfy import chardata

html5 = dict(html.entities.html5)
# ftfy decodes '&NAME;' for every html5 name ending in ';' plus some all-caps aliases; keep only the aliases.
upper = {k[1:]: v for k, v in chardata.HTML_ENTITIES.items() if k[1:] not in html5}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({"html5": html5, "ftfyUpper": upper}, f, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
