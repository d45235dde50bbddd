"""The ``ogi`` command line: thin wrappers over ``loaders`` and ``models``."""
from __future__ import annotations

import os
import sys

import click
from peewee import InterfaceError, OperationalError

from loaders.bounded import parse_bounded
from loaders.document import dumps, read_file
from loaders.errors import LoadError
from loaders.explain import explain
from loaders.limits import LIMIT_NAMES, Limits
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
    """Print the report document of FILE as JSON.

    The file is parsed in a child process under the time and memory limits, as
    ``ogi load`` parses (README, Limits)."""
    limits = Limits.from_env()
    try:
        parsed = parse_bounded(read_file(file, limits), file, limits, slim=False)
    except LoadError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    if show_stages:
        click.echo(explain(parsed))
    else:
        click.echo(dumps(parsed.document()))  # numbers exact


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary.")
@click.option("--jobs", "-j", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Processes that parse (0: one per core); one writer stores, in order.")
@click.option("--limit", "limit_values", multiple=True, metavar="NAME=VALUE",
              help="Change a limit of what one file may cost (repeatable), e.g. --limit pages=500 "
                   "--limit seconds=60 --limit memory=2GiB. Limits: " + ", ".join(LIMIT_NAMES)
                   + " (defaults and their OGI_MAX_* settings: README, Limits).")
@click.option("--cluster", metavar="ADDRESS", envvar="OGI_CLUSTER",
              help="Parse on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786; "
                   "default: $OGI_CLUSTER) instead of --jobs local processes; storing stays here, in order.")
@db_option
def load(paths, quiet, jobs, limit_values, cluster, db_url):
    """Load report files and directories (searched recursively) into the database.

    Each file is parsed in a worker process under a time and a memory limit: a file
    past a limit fails alone, with one line naming the limit."""
    from loaders.cluster import ClusterError

    limits = _limits(limit_values)
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

    try:
        summary = load_paths(paths, on_file=report, files=files, jobs=jobs or os.cpu_count() or 1, keep=False,
                             limits=limits, bounded=True, cluster=cluster or None)
    except ClusterError as e:
        click.echo(f"error: {e}; the batches committed before stay stored, and loading again completes the rest",
                   err=True)
        sys.exit(2)
    finally:
        if bar:
            bar.close()
    click.echo(summary.line())
    sys.exit(1 if summary.failed else 0)


def _limits(values: tuple[str, ...]) -> Limits:
    """The environment's limits with ``--limit NAME=VALUE`` changes (a usage error says what is wrong)."""
    try:
        given = dict(v.split("=", 1) for v in values)
    except ValueError:
        raise click.BadParameter("give NAME=VALUE, e.g. pages=500", param_hint="--limit") from None
    try:
        return Limits.from_env().with_values(given, source="--limit option")
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--limit") from None


def _outcome_line(o: FileOutcome) -> str:
    if o.outcome == FAILED:
        return f"failed     {o.error}"
    r = o.result
    what = {"loaded": "new report", "revised": f"revision {r.revision}", "unchanged": "already stored as"}[o.outcome]
    return f"{o.outcome:<10} {o.path}: {what} {r.report_id}, {r.findings} findings"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=lambda: min(2 * (os.cpu_count() or 1) + 1, 9),
              show_default="2 × cores + 1, at most 9", help="gunicorn worker processes.")
@db_option
def serve(host, port, workers, db_url):
    """Serve the /v1 API with gunicorn."""
    url = db_url or default_url()
    try:
        open_database(url)  # create or migrate the schema once, before the workers start
    except (OperationalError, InterfaceError) as e:
        click.echo(f"warning: the database does not answer yet ({e}); serving 503 until it does", err=True)
    os.environ["DATABASE_URL"] = url
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # the workers' metrics, summed at /metrics
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ogi-metrics-")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:api.gunicorn_conf",
                               "--bind", f"{host}:{port}", "--workers", str(workers), "api:create_app()"])


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
def openapi(output):
    """Print the OpenAPI document of the API as YAML (what openapi.yaml holds)."""
    from api import openapi_yaml

    text = openapi_yaml()
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--no-parquet", is_flag=True, help="Only the CSV files and datapackage.json.")
@db_option
def export(folder, no_parquet, db_url):
    """Write the bulk files into FOLDER: a CSV per resource, datapackage.json, cells.parquet."""
    from pathlib import Path

    from api.bulk import export as export_files

    open_database(db_url)
    for path in export_files(Path(folder), parquet=not no_parquet):
        click.echo(f"{path} ({path.stat().st_size:,} bytes)")


@main.command("check-cross-year")
@db_option
def check_cross_year(db_url):
    """Make the cross_year.carry findings of every agency again, from current revisions."""
    from loaders.cross_year import check_all

    open_database(db_url)
    click.echo(f"{check_all()} cross_year.carry findings")


@main.command("rebuild-rollups")
@db_option
def rebuild_rollups_command(db_url):
    """Rebuild cell_rollup from the cells (it is kept at load time; this is for repair)."""
    from models.rollup_ops import rebuild_rollups

    open_database(db_url)
    click.echo(f"cell_rollup rebuilt: {rebuild_rollups()} rows")


@main.group()
def keys():
    """API keys for the write API (POST and DELETE /v1/reports)."""


def scope_options(command):
    """--agency, --region (each repeatable) and --admin: what a key may write."""
    options = [
        click.option("--agency", "agencies", multiple=True, metavar="NAME",
                     help="An agency, by the name its reports print."),
        click.option("--region", "regions", multiple=True, metavar="REGION",
                     help="The agencies whose names start with this region (淮安市 covers 淮安市洪泽区…)."),
        click.option("--admin", is_flag=True, help="Every agency; and retracting what the operator loaded."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _scope(agencies, regions, admin):
    """The scope given, checked (a usage error says what is wrong)."""
    from models import Agency
    from models.apikey import Scope, ScopeError

    try:
        scope = Scope.make(agencies, regions, admin)
    except ScopeError as e:
        raise click.UsageError(str(e)) from None
    for name in scope.agencies:
        if not Agency.select().where(Agency.name == name).exists():
            click.echo(f"note: no agency named {name} is stored yet", err=True)
    return scope


@keys.command("create")
@click.argument("name")
@scope_options
@db_option
def keys_create(name, agencies, regions, admin, db_url):
    """Make a key that may write the reports of its scope; it is printed once and
    stored only as a hash."""
    from models import ApiKey

    open_database(db_url)
    scope = _scope(agencies, regions, admin)
    record, key = ApiKey.issue(name, scope)
    click.echo(f"key {record.id} ({record.name}): {key}")
    click.echo(f"it may write: {scope.describe()}; keep it: it is not shown again", err=True)


@keys.command("scope")
@click.argument("key_id", type=int)
@scope_options
@db_option
def keys_scope(key_id, agencies, regions, admin, db_url):
    """Set what key KEY_ID may write (its scope is replaced by the one given)."""
    from models import ApiKey

    open_database(db_url)
    scope = _scope(agencies, regions, admin)
    if not ApiKey.update(scope=scope.dumps()).where(ApiKey.id == key_id, ApiKey.revoked_at.is_null()).execute():
        click.echo(f"error: no live key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"key {key_id} may write: {scope.describe()}")


@keys.command("list")
@db_option
def keys_list(db_url):
    """List keys (their first characters only) and what each may write."""
    from models import ApiKey

    open_database(db_url)
    for k in ApiKey.select().order_by(ApiKey.id):
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
        click.echo(f"{k.id}\t{k.name}\t{k.prefix}…\tcreated {k.created_at:%Y-%m-%d %H:%M}\t{state}\t"
                   f"may write: {k.scoped.describe()}")


@keys.command("revoke")
@click.argument("key_id", type=int)
@db_option
def keys_revoke(key_id, db_url):
    """Revoke a key: it stops working at once."""
    from models import ApiKey
    from models.agency import utcnow

    open_database(db_url)
    if not ApiKey.update(revoked_at=utcnow()).where(ApiKey.id == key_id, ApiKey.revoked_at.is_null()).execute():
        click.echo(f"error: no live key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"key {key_id} revoked")


@main.group()
def jobs():
    """Upload jobs (POST /v1/reports of a scan or a large file answers 202 with one)."""


@jobs.command("work")
@click.option("--until-idle", is_flag=True, help="Stop when no job is queued or running (else: wait for more).")
@click.option("--poll", type=click.FloatRange(0.1, 60), default=2.0, show_default=True,
              help="Seconds between looks for a job when there is none.")
@db_option
def jobs_work(until_idle, poll, db_url):
    """Run upload jobs: parse (under the OCR limits, OGI_MAX_OCR_*), check the key's
    scope, store; each job done or failed. Run as many as you like, on any machine
    that reaches the database: each job runs once. Stops after its job on SIGTERM or
    Ctrl-C."""
    import signal
    import threading

    from loaders.uploads import Worker

    open_database(db_url)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = Worker(poll=poll)
    click.echo(f"ogi jobs: worker {worker.name} (lease {worker.lease:g} s)", err=True)
    worker.work(stop, until_idle=until_idle)
