"""The OCR engine behind one small interface, and the one this service uses.

``Engine.detect(image)`` finds the boxes of text lines on a page; ``Engine.read(crops)``
reads each crop as one line, with a confidence from 0 to 1. The page reader
(``loaders.ocr.page``) decides what to crop; the engine only reads.

The engine is RapidOCR (``rapidocr-onnxruntime`` 1.4.4) with the PP-OCRv4 Chinese
detection and recognition models that its wheel carries: nothing is downloaded, at
install or at run time. Why this one, and what it costs, is in ``benchmarks/README.md``
(issue 11). It is loaded once per process, on first use (about a second)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import cv2
import numpy as np


@dataclass(frozen=True)
class TextBox:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


def _errors() -> tuple[type[BaseException], ...]:
    from rapidocr_onnxruntime.utils.infer_engine import ONNXRuntimeError

    return (ONNXRuntimeError, cv2.error, RuntimeError)


ENGINE_ERRORS = _errors()  # what the engine and OpenCV raise when they fail on a page


class Engine(Protocol):
    name: str

    def detect(self, gray: np.ndarray) -> list[TextBox]: ...

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]: ...


# Characters that print the same shape in a table's numerals: a reading's confidence
# in one counts the others (``RapidEngine.read``). Only shapes no digit could be mistaken
# for another digit by: 0/O, 1/l/I, and their full-width forms.
SAME_SHAPE = ("0OoＯｏ〇○０", "1lI|丨ｌＩ１")


class RapidEngine:
    name = "rapidocr-onnxruntime PP-OCRv4"

    def __init__(self, threads: int = 1):
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        from rapidocr_onnxruntime import RapidOCR

        # one thread per engine: pages and files run in parallel processes instead (ogi load --jobs)
        self._ocr = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
        index = {c: i for i, c in enumerate(self._ocr.text_rec.postprocess_op.character)}
        self._same_shape = {}
        for group in SAME_SHAPE:
            for char in group:
                if char in index:
                    self._same_shape[char] = [index[c] for c in group if c != char and c in index]

    def detect(self, gray: np.ndarray) -> list[TextBox]:
        image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        boxes, _ = self._ocr.text_det(image)
        if boxes is None:
            return []
        out = []
        for quad in boxes:
            xs, ys = quad[:, 0], quad[:, 1]
            out.append(TextBox(int(xs.min()), int(ys.min()), int(np.ceil(xs.max())), int(np.ceil(ys.max()))))
        return out

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Each crop read alone (a batch pads every crop to its widest: slower, and it
        moves the confidences), decoded greedily (CTC). A character's confidence counts
        the shapes that print the same (``0`` and ``O``): which of them was meant is not
        in doubt in a cell where a number belongs, and ``0`` read at 0.6 beside ``O`` at
        0.35 is a sure 0-shape."""
        return [self._read_one(c) for c in crops]

    def _read_one(self, crop: np.ndarray) -> tuple[str, float]:
        rec = self._ocr.text_rec
        h, w = crop.shape[:2]
        if h < 2 or w < 2:
            return "", 0.0
        _, height, width = rec.rec_image_shape
        image = rec.resize_norm_img(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR), max(width / height, w / h))
        preds = rec.session(image[np.newaxis].astype(np.float32))[0][0]  # (steps, characters)
        best = preds.argmax(axis=1)
        characters = rec.postprocess_op.character
        text, confidences = [], []
        for t, index in enumerate(best):
            if index == 0 or (t and best[t - 1] == index):  # CTC: a blank, or the same character held
                continue
            char = characters[index]
            same = self._same_shape.get(char)
            confidences.append(float(preds[t, index] + (preds[t, same].sum() if same else 0.0)))
            text.append(char)
        return "".join(text), (sum(confidences) / len(confidences) if confidences else 0.0)


@lru_cache(maxsize=1)
def engine() -> Engine:
    """This process's engine (``OGI_OCR_THREADS`` threads for its model runs, default 1)."""
    return RapidEngine(threads=int(os.environ.get("OGI_OCR_THREADS", "1")))
