"""Phone-level word boundaries for English: the pocketsphinx forced aligner, behind a small interface.

Whisper's cross-attention places words on a 20 ms grid and tends to start them early; a phone-level
aligner (CMU Sphinx's English acoustic model and dictionary, shipped in the ``pocketsphinx`` wheel,
offline) puts boundaries on a 10 ms grid against the acoustics. subpipe uses it only to *refine* times
that Whisper already found (see align.py): every script word is first turned into dictionary words
(numbers and symbols spelled out, unknown names given a letter-to-sound pronunciation).

Pure helpers (``spoken_words``, ``number_words``, ``letter_phones``) need only ``num2words`` (numbers
in words).
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from num2words import num2words

from ..timecode import SAMPLE_RATE

log = logging.getLogger("subpipe")

_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "@": "at", "=": "equals", "#": "number"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}


def _said(text: str) -> list[str]:
    """num2words' English as the dictionary's words: no commas or hyphens, and no "and" (Americans, and
    the hand-written rules this replaced, say "one hundred twenty three")."""
    return [w for w in re.split(r"[\s,\-]+", text) if w and w != "and"]


def number_words(n: int) -> list[str]:
    """Cardinal number in words: 5000 -> five thousand."""
    try:
        return _said(num2words(n))
    except OverflowError:  # past num2words' largest scale name: the digits one by one
        return (["minus"] if n < 0 else []) + [w for d in str(abs(n)) for w in _said(num2words(int(d)))]


def year_words(n: int) -> list[str]:
    """How years are read: 1961 -> nineteen sixty one, 2011 -> twenty eleven, 2005 -> two thousand five."""
    return _said(num2words(n, to="year"))


def ordinal_words(n: int) -> list[str]:
    return _said(num2words(n, to="ordinal"))


_NUM = re.compile(r"^([$€£¥]?)(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th|s|%|k|m|bn)?$", re.I)


def spoken_words(word: str) -> list[str]:
    """A written word as the lowercase words a speaker says: '$5,000' -> five thousand dollars.

    Returns [] for pure punctuation. Unknown words come back lowercased (a pronunciation is made
    for them later).
    """
    w = word.strip().strip("\"'“”‘’«»()[]{}<>.,;:!?¿¡…—–-*_/\\|~")
    if not w:
        return []
    if w in _SYMBOLS:
        return [_SYMBOLS[w]]
    m = _NUM.match(w)
    if m:
        cur, digits, frac, suffix = m.groups()
        suffix = (suffix or "").lower()
        n = int(digits.replace(",", ""))
        if suffix in ("st", "nd", "rd", "th"):
            out = ordinal_words(n)
        elif not cur and "," not in digits and len(digits) == 4 and 1100 <= n <= 2099 and not frac:
            out = year_words(n) + (["s"] if suffix == "s" else [])
            if suffix == "s":  # 1960s -> nineteen sixties
                out = out[:-2] + [_plural_tens(out[-2])]
        else:
            out = number_words(n)
            if frac:
                out += ["point", *(w for d in frac for w in number_words(int(d)))]
            out += {"%": ["percent"], "k": ["thousand"], "m": ["million"], "bn": ["billion"]}.get(suffix, [])
        if cur:
            out.append(_CURRENCY[cur])
        return out
    parts = re.split(r"[-–—/_+&]|(?<=\D)\.(?=\D)", w)
    out = []
    for p in parts:
        p = p.lower().replace("’", "'").strip("'")
        if not p:
            continue
        if re.fullmatch(r"\d+", p):
            out += number_words(int(p))
        elif re.search(r"\d", p):
            for chunk in re.findall(r"\d+|[^\d]+", p):
                out += number_words(int(chunk)) if chunk.isdigit() else [chunk]
        else:
            out.append(p)
    return out


def _plural_tens(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


# A crude letter-to-sound table (CMU phone set) for names the dictionary lacks. It only needs to give
# the acoustic model a plausible sequence of the right length; the timing comes from the neighbours.
_DIGRAPHS = {"tch": "CH", "sch": "SH K", "ch": "CH", "sh": "SH", "th": "TH", "ph": "F", "ng": "NG",
             "ck": "K", "qu": "K W", "wh": "W", "ee": "IY", "ea": "IY", "oo": "UW", "ou": "AW", "ow": "OW",
             "ai": "EY", "ay": "EY", "oa": "OW", "oi": "OY", "oy": "OY", "au": "AO", "aw": "AO", "ie": "IY",
             "ey": "EY", "gh": "", "kn": "N", "wr": "R", "er": "ER", "ir": "ER", "ur": "ER", "ar": "AA R",
             "or": "AO R"}
_LETTERS = {"a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH", "i": "IH",
            "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P", "q": "K", "r": "R",
            "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S", "y": "IY", "z": "Z"}
_VOWEL_PHONES = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


def letter_phones(word: str) -> list[str]:
    """A rough pronunciation from spelling: 'claflin' -> K L AE F L IH N."""
    w = "".join(ch for ch in word.lower() if "a" <= ch <= "z")
    if len(w) > 3 and w.endswith("e") and w[-2] not in "aeiouy":
        w = w[:-1]  # silent final e
    phones: list[str] = []
    i = 0
    while i < len(w):
        for size in (3, 2):
            chunk = w[i:i + size]
            if len(chunk) == size and chunk in _DIGRAPHS:
                phones += _DIGRAPHS[chunk].split()
                i += size
                break
        else:
            if i > 0 and w[i] == w[i - 1] and w[i] not in "aeiou":
                i += 1  # doubled consonant
                continue
            phones += _LETTERS[w[i]].split()
            i += 1
    if not any(p in _VOWEL_PHONES for p in phones):
        phones.append("AH")
    return phones


def available() -> bool:
    try:
        import pocketsphinx  # noqa: F401
    except Exception:
        return False
    return True


class PhoneAligner:
    """One pocketsphinx decoder (English), made lazily and used by one call at a time."""

    _shared: PhoneAligner | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL")
        self.lock = threading.Lock()
        self._known: dict[str, str] = {}

    @classmethod
    def shared(cls) -> PhoneAligner:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _dict_word(self, w: str) -> str:
        """A dictionary entry for w (added with a letter-to-sound pronunciation when unknown)."""
        if w in self._known:
            return self._known[w]
        name = w
        if not re.fullmatch(r"[a-z][a-z']*", w) or self.decoder.lookup_word(w) is None:
            if w.endswith("'s") and self.decoder.lookup_word(w[:-2]) is not None:
                phones = self.decoder.lookup_word(w[:-2]) + " Z"
            else:
                phones = " ".join(letter_phones(w))
            name = "oov_" + re.sub(r"[^a-z]", "", w) or "oov"
            if self.decoder.lookup_word(name) is None:
                self.decoder.add_word(name, phones, False)
        self._known[w] = name
        return name

    def align(self, samples: np.ndarray, words: Sequence[str]) -> list[tuple[int, int] | None] | None:
        """Times (ms from the start of ``samples``) for each written word; None where it has no sound.

        Returns None when the aligner cannot align the text to this audio at all.
        """
        spoken = [spoken_words(w) for w in words]
        with self.lock:
            names = [[self._dict_word(s) for s in ws] for ws in spoken]
            flat = [n for ns in names for n in ns]
            if not flat:
                return [None] * len(words)
            pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
            d = self.decoder
            try:
                # pocketsphinx's noise removal carries its estimate from one utterance to the next, so an
                # alignment depended on what this decoder aligned before (another file, another -j worker):
                # start every alignment from the fresh state (0.2 ms)
                d.reinit_feat()
                d.set_align_text(" ".join(flat))
                d.start_utt()
                d.process_raw(pcm, full_utt=True)
                d.end_utt()
                segs = [(s.word, s.start_frame * 10, (s.end_frame + 1) * 10) for s in d.seg()]
            except Exception as exc:  # pocketsphinx raises RuntimeError when no path reaches the end
                log.debug("phone alignment failed: %s", exc)
                return None
        segs = [s for s in segs if not s[0].startswith(("<", "[", "+"))]
        if len(segs) != len(flat) or any(re.sub(r"\(\d+\)$", "", a) != b for (a, _, _), b in zip(segs, flat,
                                                                                                   strict=True)):
            return None
        out: list[tuple[int, int] | None] = []
        k = 0
        for ns in names:
            if not ns:
                out.append(None)
                continue
            out.append((segs[k][1], segs[k + len(ns) - 1][2]))
            k += len(ns)
        return out


class AlignerProcess:
    """A PhoneAligner in a child process (``python -m subpipe.alignment.phones``), fed jobs over a pipe.

    pocketsphinx holds the GIL for an alignment, so decoders in threads align one at a time (on JFK,
    2 threads x 3 alignments took 1.35 s against 1.49 s on one); in processes they align at once. A plain
    child process, not ``multiprocessing``: its spawn and forkserver start the caller's ``__main__`` again
    in every worker (a script without a main guard ran the whole pipeline again), and fork copies a
    process whose decoder threads hold locks. An alignment does not depend on which decoder made it
    (``align`` starts each from the fresh state), so the times are the same as in this process."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # the subpipe this process runs (a source tree on sys.path, not necessarily the installed one)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "subpipe.alignment.phones"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def align(self, samples: np.ndarray, words: Sequence[str]) -> list[tuple[int, int] | None] | None:
        """``PhoneAligner.align`` in the child; raises OSError or EOFError when the child is gone."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        pickle.dump((np.asarray(samples, dtype=np.float32), list(words)), self.proc.stdin,
                    protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()
        return pickle.load(self.proc.stdout)

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()


def _serve() -> None:
    """The child's loop: (samples, words) in, ``PhoneAligner.align``'s result out, until stdin closes."""
    aligner = PhoneAligner()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            samples, words = pickle.load(inp)
        except EOFError:
            return
        pickle.dump(aligner.align(samples, words), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    _serve()
