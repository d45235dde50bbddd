"""The ``ogi`` command line: thin wrappers over ``loaders`` and ``models``."""
from __future__ import annotations

import json
import sys

import click

from loaders.document import parse_file
from loaders.errors import LoadError
from loaders.explain import explain
from loaders.load import FAILED, FileOutcome, find_files, load_paths
from models import SCHEMA_VERSION, default_url, open_database

db_option = click.option("--db", "db_url", metavar="URL",
                         help="Database URL (default: $DATABASE_URL, else a SQLite file in ./data).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """ogi: government information disclosure annual reports as data."""


@main.command()
@db_option
def init(db_url):
    """Create the database, or migrate it to this version's schema."""
    url = db_url or default_url()
    open_database(url)
    click.echo(f"database ready: {url} (schema version {SCHEMA_VERSION})")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--explain", "show_stages", is_flag=True,
              help="Show what each stage found, and where each cell was read.")
def parse(file, show_stages):
    """Print the report document of FILE as JSON."""
    try:
        parsed = parse_file(file)
    except LoadError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    if show_stages:
        click.echo(explain(parsed))
    else:
        click.echo(json.dumps(parsed.document(), ensure_ascii=False, indent=1))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary.")
@db_option
def load(paths, quiet, db_url):
    """Load report files and directories (searched recursively) into the database."""
    open_database(db_url)
    files = list(find_files(paths))
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr)

    def report(o: FileOutcome) -> None:
        line = _outcome_line(o)
        if o.outcome == FAILED:
            (bar.write(line, file=sys.stderr) if bar else click.echo(line, err=True))
        elif not quiet:
            (bar.write(line) if bar else click.echo(line))
        if bar:
            bar.update()

    summary = load_paths(paths, on_file=report, files=files)
    if bar:
        bar.close()
    click.echo(summary.line())
    sys.exit(1 if summary.failed else 0)


def _outcome_line(o: FileOutcome) -> str:
    if o.outcome == FAILED:
        return f"failed     {o.error}"
    r = o.result
    what = {"loaded": "new report", "revised": f"revision {r.revision}", "unchanged": "already stored as"}[o.outcome]
    return f"{o.outcome:<10} {o.path}: {what} {r.report_id}, {r.findings} findings"
