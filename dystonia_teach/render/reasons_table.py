"""A table of who or what, each with a list of reasons (and a command to check it), as HTML
for the class report; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup

_TABLE = jinja2.Environment(autoescape=True).from_string("""<table class="dt-reasons">
<thead><tr><th scope="col">{{ who }}</th><th scope="col">{{ why }}</th>
{% if commands %}<th scope="col">Check it with</th>{% endif %}</tr></thead><tbody>
{% for row in rows %}<tr><th scope="row">{{ row.name }}</th><td><ul>
{% for reason in row.reasons %}<li>{{ reason }}</li>{% endfor %}</ul></td>
{% if commands %}<td><code>{{ row.command }}</code></td>{% endif %}</tr>
{% endfor %}</tbody></table>""")


def reasons_table(who: str, why: str, rows: Sequence[dict[str, Any]]) -> Markup:
    """Rows of ``name``, ``reasons`` and optionally ``command``, under the headings ``who``
    and ``why`` (and "Check it with" when a row has a command)."""
    return Markup(_TABLE.render(who=who, why=why, rows=rows,
                                commands=any("command" in r for r in rows)))
