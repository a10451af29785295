"""Pages for problem types (mixed into the gateway service): every ``type`` a problem document carries
(``/problems/<code>``, RFC 9457 §3.1.1) resolves to a page that says what the code means, in Vietnamese and
English, from the same table the answers' titles come from (``messages.yaml``)."""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

from gateway.http import api
from gateway.messages import FIELD_MESSAGES, TITLES
from gateway.request import Request
from shared.errors import NotFound

CACHE_SECONDS = 3600

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{name} — ketnoi</title></head>
<body><main>
<h1><code>{name}</code></h1>
<p lang="vi">{vi}</p>
<p lang="en">{en}</p>
{fields}
<p><a href="/problems">Mọi mã lỗi / every problem type</a> · <a href="/docs">API</a></p>
</main></body></html>
"""


def _field_list(codes: list[str]) -> str:
    """Field-level codes (``errors[].code``) listed on the validation page, where they occur."""
    items = "".join(
        f'<li><code>{escape(c)}</code>: <span lang="vi">{escape(FIELD_MESSAGES[c]["vi"])}</span> / '
        f'<span lang="en">{escape(FIELD_MESSAGES[c]["en"])}</span></li>'
        for c in codes
    )
    return f"<h2>Lỗi theo trường / field errors (<code>errors[].code</code>)</h2><ul>{items}</ul>"


class ProblemPages:
    @api(
        "GET",
        "/problems",
        summary="Every problem type the API answers with, in Vietnamese and English",
        description="An HTML page for people: each error code (the last part of a problem's `type`) with its "
        "title in both languages, linking to its own page. Anyone may read it; it changes only with a release.",
        auth="none",
        tags=("docs",),
        produces="text/html",
        cache_seconds=CACHE_SECONDS,
    )
    def problem_index(self, request: Request):
        items = "".join(
            f'<li><a href="/problems/{escape(code)}"><code>{escape(code)}</code></a>: '
            f'<span lang="vi">{escape(text["vi"])}</span> / <span lang="en">{escape(text["en"])}</span>'
            f"</li>"
            for code, text in sorted(TITLES.items())
        )
        return Response(
            PAGE.format(
                name="problems", vi="Các mã lỗi của API.", en="The API's problem types.", fields=f"<ul>{items}</ul>"
            ),
            mimetype="text/html",
        )

    @api(
        "GET",
        "/problems/<code>",
        summary="What a problem type means (the `type` of a problem document)",
        description="The page a problem document's `type` URI points at: what the code means, in Vietnamese and "
        "English. 404 for a code the API never answers with.",
        auth="none",
        tags=("docs",),
        produces="text/html",
        cache_seconds=CACHE_SECONDS,
    )
    def problem_page(self, request: Request, code: str):
        text = TITLES.get(code)
        if text is None:
            raise NotFound("No such problem type.", code="not_found")
        fields = _field_list(sorted(FIELD_MESSAGES)) if code == "validation_failed" else ""
        return Response(
            PAGE.format(name=escape(code), vi=escape(text["vi"]), en=escape(text["en"]), fields=fields),
            mimetype="text/html",
        )
