"""The OpenAPI document as one readable HTML page (``GET /api/docs``).

Server-rendered, no script and no inline style (the service's CSP allows
neither): the shared stylesheet, headings, tables and the JSON Schemas as
preformatted text. Every value from the document is escaped.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

__all__ = ["render"]

_METHODS = ("get", "post", "put", "patch", "delete")
_AUTH = {
    "staffSession": "staff session cookie",
    "csrfToken": "X-CSRF-Token header",
    "patientToken": "patient token (Bearer)",
    "patientSession": "patient session cookie",
}


_KIND = {"contract": "Part of the contract.", "extension": "An extension of this service."}
_REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9_.-]+)&quot;")


def _linked(text: str) -> str:
    """Escaped ``text`` with each schema reference a link to that schema's section."""
    return _REF.sub(
        lambda m: f'<a href="#schema-{_anchor(m.group(1))}">&quot;{m.group(1)}&quot;</a>',
        escape(text),
    )


def _pre(value: Any) -> str:
    return f"<pre>{_linked(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"


def _schema_names(content: dict[str, Any]) -> str:
    """The media types of a response, each with the schema it refers to (linked)."""
    parts = []
    for media, item in content.items():
        ref = json.dumps(item.get("schema", {}))
        names = sorted(set(re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", ref)))
        links = ", ".join(f'<a href="#schema-{_anchor(n)}">{escape(n)}</a>' for n in names)
        parts.append(f"<code>{escape(media)}</code>" + (f" {links}" if links else ""))
    return "; ".join(parts) or "none"


def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _security(op: dict[str, Any]) -> str:
    reqs = op.get("security") or []
    if not reqs:
        return "anyone"
    who = " or ".join(" + ".join(_AUTH.get(name, name) for name in req) for req in reqs)
    roles = op.get("x-roles")
    return who + (f" (roles: {', '.join(roles)})" if roles else "")


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    title = f"{method.upper()} {path}"
    out = [
        f'<section id="{escape(op["operationId"])}">',
        f"<h3><code>{escape(title)}</code></h3>",
        f"<p>{escape(op['summary'])}</p>",
        f"<p>Who: {escape(_security(op))}. {_KIND.get(op.get('x-contract', ''), '')}</p>",
    ]
    if op.get("description"):
        out.append(f"<p>{escape(op['description'])}</p>")
    params = op.get("parameters", [])
    if params:
        out.append("<table><caption>Parameters</caption>")
        out.append("<tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>")
        for p in params:
            out.append(
                f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                f"<td>{'yes' if p.get('required') else 'no'}</td>"
                f"<td><code>{escape(json.dumps(p['schema'], ensure_ascii=False))}</code></td></tr>"
            )
        out.append("</table>")
    body = op.get("requestBody")
    if body:
        out.append("<h4>Request body</h4>")
        for media, content in body["content"].items():
            out.append(f"<p><code>{escape(media)}</code></p>")
            if content.get("schema"):
                out.append(_pre(content["schema"]))
    out.append("<table><caption>Responses</caption>")
    out.append("<tr><th>status</th><th>description</th><th>body</th></tr>")
    for status, resp in op["responses"].items():
        out.append(
            f"<tr><td>{escape(status)}</td><td>{escape(resp['description'])}</td>"
            f"<td>{_schema_names(resp.get('content', {}))}</td></tr>"
        )
    out.append("</table></section>")
    return out


def render(doc: dict[str, Any]) -> str:
    """The whole reference page of ``doc`` (an OpenAPI 3.1 document)."""
    ops = [
        (path, method, item[method])
        for path, item in doc["paths"].items()
        for method in _METHODS
        if method in item
    ]
    tags = sorted({op["tags"][0] for _, _, op in ops})
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc['info']['title'])} {escape(doc['info']['version'])}</title>",
        '<link rel="stylesheet" href="/static/common/styles.css">',
        "</head><body><main>",
        f"<h1>{escape(doc['info']['title'])} <small>{escape(doc['info']['version'])}</small></h1>",
        f"<p>{escape(doc['info']['description'])}</p>",
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>',
        '<nav aria-label="Operations"><ul>',
    ]
    for path, method, op in ops:
        out.append(
            f'<li><a href="#{escape(op["operationId"])}">'
            f"<code>{escape(method.upper())} {escape(path)}</code></a></li>"
        )
    out.append("</ul></nav>")
    for tag in tags:
        out.append(f"<h2>{escape(tag)}</h2>")
        for path, method, op in ops:
            if op["tags"][0] == tag:
                out += _operation(path, method, op)
    out.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        out.append(f'<section id="schema-{escape(_anchor(name))}"><h3>{escape(name)}</h3>')
        out.append(_pre(schema) + "</section>")
    out.append("<h2>Security schemes</h2><dl>")
    for name, scheme in doc["components"]["securitySchemes"].items():
        out.append(f"<dt><code>{escape(name)}</code></dt><dd>{escape(scheme['description'])}</dd>")
    out.append("</dl></main></body></html>")
    return "\n".join(out)
