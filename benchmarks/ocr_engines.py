"""OCR engines on scanned report tables: RapidOCR (PP-OCRv4, onnxruntime) against Tesseract 5 (chi_sim).

    python -m benchmarks.ocr_engines --pdf PATH --golden PATH [--runs 3] [--dpis 100,150,200,300]

The table pages of a text PDF (pages whose tables hold numeric cells) are rendered with
``pdftoppm -gray`` at each DPI, plus a "scan": 200 dpi, turned 0.5° (white fill), JPEG
quality 70. The printed tokens are the table cells that hold one numeric word (pdfplumber
on the original PDF; checked against the golden's non-null values). Each token's box, in
points, is scaled to pixels (and turned for the scan) and paired with the engine's box
whose centre falls inside it: no such box is "missed" ("covered" counts the missed ones
lying inside a wider box), a box whose text is not the token is "wrong".

Everything runs on one core (``taskset -c 0``, OMP_NUM_THREADS=1, OMP_THREAD_LIMIT=1,
onnxruntime intra/inter-op threads 1). Seconds per page: the median of ``--runs`` runs of
each page, averaged over the pages. Load: RapidOCR's import and model load in its
process; Tesseract's run on a blank 10×10 image (its CLI loads the model on every call,
so its seconds per page include it). Peak RSS: the largest ru_maxrss of the engine's
processes (RapidOCR: one process per setting). RapidOCR runs with ``text_score=0`` so
every read is seen; "≥0.5" rows count reads under its default 0.5 as missed; "use_cls=False"
rows read the full page without the 0°/180° angle classifier. "rec only"
rows run recognition alone (no detection, no angle classifier) on a crop ±3 px: of each
detected box (its s/page is the full page's, not counting the re-reads), or of each
token's box from the PDF (its s/page is the crops' alone, no detection).
Needs ``tesseract-ocr tesseract-ocr-chi-sim`` (Debian) and poppler-utils."""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SKEW = 0.5  # degrees, counter-clockwise as Pillow turns
PAD = 3  # pixels around a token for the crops
ONE_CORE = ["taskset", "-c", "0"]
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}


def printed_tokens(pdf: Path, golden: Path) -> dict[int, list[tuple[str, tuple[float, float, float, float]]]]:
    """Page number → [(text, (x0, top, x1, bottom) in points)] of the table cells holding one number."""
    import pdfplumber

    tokens = {}
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            words = page.extract_words()
            found = []
            for table in page.find_tables():
                for x0, top, x1, bottom in table.cells:
                    inside = [w for w in words if x0 <= (w["x0"] + w["x1"]) / 2 <= x1
                              and top <= (w["top"] + w["bottom"]) / 2 <= bottom]
                    if len(inside) == 1 and NUMBER.fullmatch(inside[0]["text"]):
                        w = inside[0]
                        found.append((w["text"], (w["x0"], w["top"], w["x1"], w["bottom"])))
            if found:
                tokens[page.page_number] = found
    values = Counter(str(v) for v in json.loads(golden.read_text())["cells"].values() if v is not None)
    got = Counter(text for page in tokens.values() for text, _ in page)
    if got != values:
        print(f"warning: printed tokens differ from the golden: extra {dict(got - values)}, "
              f"missing {dict(values - got)}", file=sys.stderr)
    return tokens


def turn(x: float, y: float, w: int, h: int) -> tuple[float, float]:
    """Where Pillow's ``rotate(SKEW)`` (about the centre, same size) moves the pixel (x, y)."""
    a = math.radians(SKEW)
    dx, dy = x - w / 2, y - h / 2
    return w / 2 + dx * math.cos(a) + dy * math.sin(a), h / 2 - dx * math.sin(a) + dy * math.cos(a)


def render(pdf: Path, pages: list[int], workdir: Path, dpis: list[int]) -> dict[str, list[dict]]:
    """Setting name → per page {path, page, boxes: token boxes in pixels} (boxes filled in later)."""
    from PIL import Image

    settings: dict[str, list[dict]] = {}
    for dpi in dpis + ["scan"]:
        name = f"{dpi} dpi" if dpi != "scan" else "scan 200 dpi 0.5° q70"
        settings[name] = []
        for p in pages:
            r = 200 if dpi == "scan" else dpi
            stem = workdir / f"p{p}-{dpi}"
            subprocess.run(["pdftoppm", "-gray", "-r", str(r), "-f", str(p), "-l", str(p), "-png", "-singlefile",
                            str(pdf), str(stem)], check=True)
            path = stem.with_suffix(".png")
            if dpi == "scan":
                img = Image.open(path).rotate(SKEW, resample=Image.Resampling.BICUBIC, fillcolor=255)
                path = stem.with_suffix(".jpg")
                img.save(path, quality=70)
            settings[name].append({"path": str(path), "page": p, "dpi": r, "skew": dpi == "scan"})
    return settings


def pixel_boxes(image: dict, tokens: list) -> list[list[float]]:
    """The tokens' boxes in the image's pixels: scaled, and for the scan the upright box around the turned one."""
    from PIL import Image

    w, h = Image.open(image["path"]).size
    k = image["dpi"] / 72
    boxes = []
    for _, (x0, top, x1, bottom) in tokens:
        corners = [(x * k, y * k) for x in (x0, x1) for y in (top, bottom)]
        if image["skew"]:
            corners = [turn(x, y, w, h) for x, y in corners]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        boxes.append([min(xs), min(ys), max(xs), max(ys)])
    return boxes


def run_child(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run ``cmd`` on one core, reaped with wait4: its result, wall seconds and peak RSS in KiB."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(ONE_CORE + cmd, stdout=out, stderr=err, env={**os.environ, **ONE_THREAD}, **kw)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    if done.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return done, seconds, usage.ru_maxrss


def tesseract_reads(tsv: str) -> list[tuple[str, float, list[float]]]:
    reads = []
    for line in tsv.splitlines()[1:]:
        f = line.split("\t")
        if len(f) == 12 and f[0] == "5" and f[11].strip():
            left, top, width, height = map(int, f[6:10])
            reads.append((f[11].strip(), float(f[10]) / 100, [left, top, left + width, top + height]))
    return reads


def tesseract(images: list[dict], psm: int, runs: int) -> dict:
    result = {"seconds": [], "rss": 0, "reads": []}
    for image in images:
        times = []
        for _ in range(runs):
            done, seconds, rss = run_child(["tesseract", image["path"], "-", "-l", "chi_sim", "--psm", str(psm),
                                            "tsv"])
            times.append(seconds)
            result["rss"] = max(result["rss"], rss)
        result["seconds"].append(statistics.median(times))
        result["reads"].append(tesseract_reads(done.stdout.decode()))
    return result


def tesseract_load(workdir: Path, runs: int) -> float:
    from PIL import Image

    blank = workdir / "blank.png"
    Image.new("L", (10, 10), 255).save(blank)
    return statistics.median(run_child(["tesseract", str(blank), "-", "-l", "chi_sim", "tsv"])[1] for _ in range(runs))


def recognise(engine, page, box: list[float]) -> tuple[str, float]:
    """Recognition only (no detection, no angle classifier) on ``box`` ±PAD px of ``page``."""
    h, w = page.shape[:2]
    x0, y0, x1, y1 = box
    top, left = max(0, int(y0) - PAD), max(0, int(x0) - PAD)
    found, _ = engine(page[top:min(h, math.ceil(y1) + PAD), left:min(w, math.ceil(x1) + PAD)],
                      use_det=False, use_cls=False)
    text, score = found[0] if found else ("", 0.0)
    return text, float(score)


def rapidocr_worker(job: Path) -> None:
    """In its own process: load RapidOCR, read every page ``runs`` times with and without the angle
    classifier, then re-read each token's crop and each detected box alone."""
    spec = json.loads(job.read_text())
    start = time.perf_counter()
    import cv2
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, text_score=0)
    result = {"load": time.perf_counter() - start, "seconds": [], "reads": [], "crops": [], "crop_seconds": [],
              "rereads": [], "nocls_seconds": [], "nocls_reads": []}
    for image in spec["images"]:
        for key, use_cls in (("", True), ("nocls_", False)):
            times = []
            for _ in range(spec["runs"]):
                start = time.perf_counter()
                found, _ = engine(image["path"], use_cls=use_cls)
                times.append(time.perf_counter() - start)
            result[key + "seconds"].append(statistics.median(times))
            reads = []
            for box, text, score in found or []:
                xs, ys = [p[0] for p in box], [p[1] for p in box]
                reads.append((text, float(score), [min(xs), min(ys), max(xs), max(ys)]))
            result[key + "reads"].append(reads)
        page = cv2.imread(image["path"])
        start = time.perf_counter()
        result["crops"].append([recognise(engine, page, box) for box in image["boxes"]])
        result["crop_seconds"].append(time.perf_counter() - start)
        result["rereads"].append([(*recognise(engine, page, box), box) for _, _, box in result["reads"][-1]])
    print(json.dumps(result))


def rapidocr(images: list[dict], runs: int, workdir: Path) -> dict:
    job = workdir / "job.json"
    job.write_text(json.dumps({"images": images, "runs": runs}))
    done, _, rss = run_child([sys.executable, "-m", "benchmarks.ocr_engines", "--worker", str(job)], cwd=ROOT)
    return {**json.loads(done.stdout.decode().splitlines()[-1]), "rss": rss}


def score(tokens: list, boxes: list, reads: list) -> dict:
    """Pair each token with the read whose box centre falls inside the token's box (the nearest if several)."""
    out = {"right": 0, "wrong": 0, "missed": 0, "covered": 0, "right_conf": [], "wrong_conf": [], "examples": []}
    for (text, _), (x0, y0, x1, y1) in zip(tokens, boxes, strict=True):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        inside = [r for r in reads if x0 <= (r[2][0] + r[2][2]) / 2 <= x1 and y0 <= (r[2][1] + r[2][3]) / 2 <= y1]
        if not inside:
            out["missed"] += 1
            out["covered"] += any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for _, _, b in reads)
            continue
        got, conf, _ = min(inside, key=lambda r: abs((r[2][0] + r[2][2]) / 2 - cx) + abs((r[2][1] + r[2][3]) / 2 - cy))
        ok = re.sub(r"\s", "", got) == text
        out["right" if ok else "wrong"] += 1
        out["right_conf" if ok else "wrong_conf"].append(conf)
        if not ok and len(out["examples"]) < 4:
            out["examples"].append(f"{text}→{got!r}")
    return out


def scored(tokens: dict, images: list[dict], reads: list, min_score: float = 0.0) -> dict:
    total = None
    for image, page_reads in zip(images, reads, strict=True):
        s = score(tokens[image["page"]], image["boxes"], [r for r in page_reads if r[1] >= min_score])
        total = s if total is None else {k: total[k] + s[k] for k in s}
    return total


def crop_scored(tokens: dict, images: list[dict], crops: list) -> dict:
    out = {"right": 0, "wrong": 0, "missed": 0, "covered": 0, "right_conf": [], "wrong_conf": [], "examples": []}
    for image, page_crops in zip(images, crops, strict=True):
        for (text, _), (got, conf) in zip(tokens[image["page"]], page_crops, strict=True):
            ok = re.sub(r"\s", "", got) == text
            if not got:
                out["missed"] += 1
                continue
            out["right" if ok else "wrong"] += 1
            out["right_conf" if ok else "wrong_conf"].append(conf)
            if not ok and len(out["examples"]) < 4:
                out["examples"].append(f"{text}→{got!r}")
    return out


def conf(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f}" if values else "–"


def row(engine: str, setting: str, load: float, seconds: list[float], s: dict, rss: int) -> str:
    per_page = statistics.fmean(seconds)
    return (f"| {engine} | {setting} | {load:.2f} | {per_page:.2f} ({', '.join(f'{t:.2f}' for t in seconds)}) | "
            f"{s['right']} | {s['wrong']} | {s['missed']} ({s['covered']}) | {conf(s['right_conf'])} | "
            f"{conf(s['wrong_conf'])} | {rss / 1024:.0f} | {'; '.join(s['examples'])} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdf", type=Path)
    ap.add_argument("--golden", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dpis", default="100,150,200,300")
    ap.add_argument("--engines", default="rapidocr,tesseract")
    ap.add_argument("--psms", default="6,11", help="Tesseract page segmentation modes")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return rapidocr_worker(args.worker)
    if not (args.pdf and args.golden):
        ap.error("--pdf and --golden are required")
    tokens = printed_tokens(args.pdf, args.golden)
    engines = args.engines.split(",")
    print(f"{sum(map(len, tokens.values()))} printed numeric tokens on pages {', '.join(map(str, tokens))}; "
          f"{args.runs} runs a page, one core\n")
    print("| engine | setting | load s | s/page (pages) | right | wrong | missed (covered) | conf right min / med |"
          " conf wrong min / med | peak RSS MiB | wrong reads, e.g. |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = render(args.pdf, list(tokens), workdir, [int(d) for d in args.dpis.split(",")])
        for images in settings.values():
            for image in images:
                image["boxes"] = pixel_boxes(image, tokens[image["page"]])
        load = tesseract_load(workdir, args.runs) if "tesseract" in engines else 0.0
        for name, images in settings.items():
            if "rapidocr" in engines:
                r = rapidocr(images, args.runs, workdir)
                print(row("rapidocr", name, r["load"], r["seconds"], scored(tokens, images, r["reads"]), r["rss"]))
                print(row("rapidocr", name + ", score ≥0.5", r["load"], r["seconds"],
                          scored(tokens, images, r["reads"], 0.5), r["rss"]))
                print(row("rapidocr", name + ", no angle classifier (use_cls=False)", r["load"], r["nocls_seconds"],
                          scored(tokens, images, r["nocls_reads"]), r["rss"]))
                print(row("rapidocr", name + ", det boxes re-read (rec only, ±3 px)", r["load"], r["seconds"],
                          scored(tokens, images, r["rereads"]), r["rss"]))
                print(row("rapidocr", name + ", token boxes read (rec only, ±3 px)", r["load"], r["crop_seconds"],
                          crop_scored(tokens, images, r["crops"]), r["rss"]))
            if "tesseract" in engines:
                for psm in args.psms.split(","):
                    t = tesseract(images, int(psm), args.runs)
                    print(row("tesseract", f"{name}, psm {psm}", load, t["seconds"],
                              scored(tokens, images, t["reads"]), t["rss"]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
