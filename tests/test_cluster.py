"""Parsing on a cluster: a real Dask scheduler and two worker processes on 127.0.0.1.

A load through the cluster stores what a plain local load stores (every report, cell,
finding, section and rollup); a file past a limit fails alone with the line a local
load gives; a worker SIGKILLed in the middle of a load loses nothing and doubles
nothing (the last test: it leaves the cluster one worker short)."""
import base64
import io
import shutil

import pytest
from click.testing import CliRunner

from benchmarks.cluster import answers, pdf_copy, start_cluster
from benchmarks.generate import generate
from loaders.cli import main
from loaders.cluster import Cluster, ClusterError, linked_pictures
from loaders.limits import MB, Limits
from loaders.load import load_paths
from models import Report, SourceFile, open_database
from tests.conftest import CORPUS, SEEDS
from tests.test_limits import LIFTED, many_page_pdf, span_page

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with start_cluster(2) as running:
        yield running


def tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8, 8), 255).save(out, "PNG")
    return out.getvalue()


def page_with_pictures(folder, spaced: bool = False):
    """The corpus web page with pictures linked beside it (one in a folder, one by an
    escaped name; ``spaced``: by its name with a space too) and one not there: the
    loader sends what is there."""
    page = next(p for p in CORPUS if p.suffix == ".html").read_text(encoding="utf-8")
    (folder / "img").mkdir()
    (folder / "img" / "seal.png").write_bytes(tiny_png())
    (folder / "logo 1.png").write_bytes(tiny_png())
    links = "<p><img src='img/seal.png?v=2'><img src=\"logo%201.png\">" + "<img src=\"logo 1.png\">" * spaced \
        + "<img src=gone.png></p>"
    path = folder / "pictures.html"
    path.write_text(page.replace("</table>", "</table>" + links, 1), encoding="utf-8")  # inside the article
    return path


def snapshot(url: str) -> dict:
    db = open_database(url)
    try:
        return answers()
    finally:
        db.close()


def test_a_cluster_load_stores_what_a_local_load_stores(cluster, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in SEEDS + CORPUS:
        shutil.copy(path, folder / path.name)
    generate(12, folder / "generated", seed=14, formats=["text", "html", "docx", "runtogether"])
    (folder / "copy.pdf").write_bytes(pdf_copy(1))  # a revision of the corpus PDF's report
    page_with_pictures(folder / "generated")
    local, remote = f"sqlite:///{tmp_path}/local.sqlite3", f"sqlite:///{tmp_path}/cluster.sqlite3"

    plain = CliRunner().invoke(main, ["load", "-q", "--db", local, str(folder)])
    result = CliRunner().invoke(main, ["load", "-q", "--cluster", cluster.address, "--db", remote, str(folder)])
    assert result.exit_code == plain.exit_code == 0, result.output
    assert result.output == plain.output
    assert result.output.splitlines()[-1].startswith("23 files: 21 loaded, 0 unchanged, 2 revised, 0 failed")
    mine, theirs = snapshot(remote), snapshot(local)
    assert {k: len(v) for k, v in mine.items()} == {k: len(v) for k, v in theirs.items()}
    for kind in theirs:
        assert mine[kind] == theirs[kind], kind
    assert len(mine["cells"]) > 4000 and len(mine["rollups"]) > 500 and mine["findings"]
    picture_findings = [f for f in mine["findings"] if f[1] == "source.image_missing"]
    assert [f[-2].split(": ", 1)[1] for f in picture_findings] == [
        "the picture 'gone.png' was not supplied with the page; if it holds a table, its values are not read"]


def test_the_pictures_sent_with_a_page_are_those_beside_it(tmp_path):
    path = page_with_pictures(tmp_path, spaced=True)
    sent = linked_pictures(path, path.read_bytes(), Limits())
    assert sorted(sent) == ["img/seal.png", "logo 1.png"] and set(sent.values()) == {tiny_png()}
    assert linked_pictures(SEEDS[0], SEEDS[0].read_bytes(), Limits()) == {}
    inline = b"<p><img src='data:image/png;base64," + base64.b64encode(tiny_png()) + b"'></p>"
    assert linked_pictures(path, inline, Limits()) == {}


def test_a_file_past_a_limit_fails_alone_as_it_does_locally(cluster, tmp_path, monkeypatch):
    files = [tmp_path / "a.txt", tmp_path / "spans.html", tmp_path / "empty.txt", tmp_path / "b.txt"]
    files[0].write_bytes(SEEDS[0].read_bytes())
    files[1].write_bytes(span_page())
    files[2].write_bytes(b"")
    files[3].write_bytes(SEEDS[4].read_bytes())
    limits = Limits(**{**vars(LIFTED), "memory": 400 * MB, "seconds": 60})
    outcomes = {}
    for engine, how in (("local", {}), ("cluster", {"cluster": cluster.address})):
        open_database(f"sqlite:///{tmp_path}/{engine}.sqlite3")
        summary = load_paths(files, limits=limits, bounded=True, **how)
        outcomes[engine] = [(o.outcome, o.error) for o in summary.outcomes]
        assert Report.select().count() == 2
    assert outcomes["cluster"] == outcomes["local"]
    assert [error for _, error in outcomes["cluster"]] == [
        None, f"{files[1]}: file: memory limit of 400 MiB exceeded (OGI_MAX_MEMORY)",
        f"{files[2]}: content: the file is empty", None]
    # past the time limit (the worker's parser is replaced; the next file is parsed)
    (tmp_path / "pages.pdf").write_bytes(many_page_pdf())
    summary = load_paths([tmp_path / "pages.pdf", files[0]], limits=Limits(**{**vars(LIFTED), "seconds": 2}),
                         cluster=cluster.address)
    assert [o.error for o in summary.outcomes] == [
        f"{tmp_path / 'pages.pdf'}: file: time limit of 2 s exceeded (OGI_MAX_SECONDS)", None]
    # the address may come from the environment
    monkeypatch.setenv("OGI_CLUSTER", cluster.address)
    result = CliRunner().invoke(main, ["load", "--db", f"sqlite:///{tmp_path}/env.sqlite3", str(files[0])])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("1 files: 1 loaded, 0 unchanged, 0 revised, 0 failed")


def test_an_unreachable_cluster_stops_the_load_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr("loaders.cluster.CONNECT_SECONDS", 1)
    with pytest.raises(ClusterError, match=r"cannot reach the cluster at tcp://127\.0\.0\.1:9: "):
        Cluster("tcp://127.0.0.1:9", Limits())
    result = CliRunner().invoke(main, ["load", "--cluster", "tcp://127.0.0.1:9", "--db",
                                       f"sqlite:///{tmp_path}/x.sqlite3", str(SEEDS[0])])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot reach the cluster at tcp://127.0.0.1:9: ")


def test_a_worker_killed_mid_load_loses_nothing_and_doubles_nothing(cluster, tmp_path):
    """Run last: it kills one of the module's two workers."""
    from distributed import Client

    folder = tmp_path / "in"
    files = generate(32, folder, seed=41, formats=["text", "html", "docx"])
    for k in range(8):  # slower files, so that the worker is killed while it parses one
        files.append(folder / f"{4 * k + 2:06d}_pdf.pdf")  # among the others, in name order
        files[-1].write_bytes(pdf_copy(100 + k))
    killed: list = []
    with Client(cluster.address, set_as_default=False) as client:
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}

        def on_file(outcome) -> None:
            stored = len(seen) + 1
            seen.append(outcome)
            busy = {address: keys for address, keys in client.processing().items() if keys}
            if stored >= 10 and busy and not killed:  # some files are stored; others are being parsed
                address = next(iter(busy))
                killed.append((names[address], busy[address]))
                cluster.kill(int(names[address][1:]))

        seen: list = []
        open_database(f"sqlite:///{tmp_path}/cluster.sqlite3")
        summary = load_paths([folder], on_file=on_file, batch=4, cluster=cluster.address)
        assert killed and killed[0][1], "a worker was killed while it held files"
        assert len(client.scheduler_info()["workers"]) == 1
    assert summary.counts == {"loaded": 33, "revised": 7}, summary.line()
    assert [o.path for o in summary.outcomes] == [str(f) for f in sorted(files)]
    assert Report.select().count() == SourceFile.select().count() == 40
    mine = answers()
    assert len({r[0] for r in mine["reports"]}) == 40
    open_database(f"sqlite:///{tmp_path}/local.sqlite3")
    assert load_paths([folder]).counts == summary.counts
    assert answers() == mine
