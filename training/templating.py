"""The Jinja2 environment of the training-side documents (the model card, the HTML report).

Templates live in a `templates/` folder next to the module that renders them and ship as
package data. Undefined names raise; HTML templates are autoescaped.
"""

from __future__ import annotations

from pathlib import Path

import jinja2


def load_template(folder: Path, name: str) -> jinja2.Template:
    """The template `name` from `folder`, autoescaped when it is HTML."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(name)
