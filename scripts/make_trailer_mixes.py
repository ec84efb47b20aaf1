#!/usr/bin/env python3
"""Build trailer-like test audio from the real speech in ../shared/data.

Music-like beds and effects are synthesised by ffmpeg's ``aevalsrc`` (chords, drums, a lead line,
noise-burst "impacts"), mixed under real speech at a chosen speech-to-music ratio, with musical
intros and outros and stretches of silence. Every mix comes with its ground truth (where speech is,
what was said, in which language), written beside it as ``mixes.json``.

    python scripts/make_trailer_mixes.py OUT_DIR [--data ../shared/data] [--subset quick|full]

Nothing here is committed audio: tests and the benchmark call these functions to build what they need.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SR = 16_000
SPEECH_LEVEL_DBFS = -23.0  # active speech level every clip is brought to before mixing

# (relative path, language, reference text or None to read the .txt beside it)
ENGLISH = (
    "librispeech/61-70968-0000.flac",
    "librispeech/1995-1837-0001.wav",
    "librispeech/2412-153948-0001.flac",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0920.wav",
    "jfk/jfk.flac",
)
MANDARIN = (
    "mandarin/BAC009S0724W0121.wav",
    "mandarin/BAC009S0764W0121.wav",
    "mandarin/BAC009S0764W0122.wav",
)
MIXED_ORDER = (  # English and Mandarin alternating, as in an interview cut between two speakers
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav",
    "mandarin/BAC009S0724W0121.wav",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0920.wav",
    "mandarin/BAC009S0764W0121.wav",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0890.wav",
    "mandarin/BAC009S0764W0122.wav",
)


# ------------------------------------------------------------------ beds made by ffmpeg
def _chord_expr() -> str:
    # Am - F - C - G, two seconds each: root, third, fifth and the octave, each with a soft 2nd harmonic,
    # under a slow swell, so the bed is tonal, harmonic and always moving.
    def pick(vals: tuple[float, float, float, float]) -> str:
        a, b, c, d = vals
        return f"if(lt(mod(t,8),2),{a},if(lt(mod(t,8),4),{b},if(lt(mod(t,8),6),{c},{d})))"

    roots = (220.0, 174.61, 261.63, 196.0)
    thirds = (261.63, 220.0, 329.63, 246.94)
    fifths = (329.63, 261.63, 392.0, 293.66)
    parts = []
    for f in (pick(roots), pick(thirds), pick(fifths), f"2*{pick(roots)}"):
        parts.append(f"(sin(2*PI*{f}*t)+0.3*sin(4*PI*{f}*t))")
    return f"({'+'.join(parts)})*(0.7+0.3*sin(2*PI*0.25*t))/5"


def _drum_expr() -> str:
    kick = "sin(2*PI*(50+80*exp(-30*mod(t,0.5)))*mod(t,0.5))*exp(-12*mod(t,0.5))"
    snare = "(random(0)*2-1)*exp(-25*mod(t+0.5,1))*0.6"
    hat = "(random(1)*2-1)*exp(-90*mod(t,0.25))*0.25"
    return f"({kick}+{snare}+{hat})/1.5"


def _lead_expr() -> str:
    # an arpeggio a fifth above the chords, a note every 0.25 s, with vibrato: the voice-like part of a score
    note = "if(lt(mod(t,1),0.25),659.25,if(lt(mod(t,1),0.5),523.25,if(lt(mod(t,1),0.75),440,587.33)))"
    return f"sin(2*PI*{note}*t+0.02*sin(2*PI*5.5*t)*50)*exp(-4*mod(t,0.25))*0.5"


def _impact_expr() -> str:
    # noise bursts ("hits", "whooshes") every 3.7 s with a low boom under them
    return "((random(2)*2-1)*0.8+sin(2*PI*45*mod(t,3.7)))*exp(-5*mod(t,3.7))"


BEDS = {
    "chords": _chord_expr(),
    "drums": _drum_expr(),
    "score": f"0.5*{_chord_expr()}+0.35*{_drum_expr()}+0.25*{_lead_expr()}",
    "effects": f"0.6*{_impact_expr()}+0.3*{_drum_expr()}",
}


def ffmpeg_exe() -> str:
    from subpipe.audio.media import ffmpeg_exe as exe

    return exe()


def make_bed(kind: str, seconds: float) -> np.ndarray:
    """A music-like bed of ``seconds`` at 16 kHz mono float32, synthesised by ffmpeg's aevalsrc."""
    expr = BEDS[kind]
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
           "-f", "lavfi", "-i", f"aevalsrc='{expr}':s={SR}:d={seconds:.3f}",
           "-af", "highpass=f=30,lowpass=f=7500", "-f", "f32le", "-ac", "1", "-ar", str(SR), "pipe:"]
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=True).stdout
    x = np.frombuffer(out, dtype=np.float32).copy()
    n = int(round(seconds * SR))
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    return x[:n] / max(rms(x[:n]), 1e-9) * 10 ** (-20 / 20)  # bed at -20 dBFS RMS before mixing


def room_tone(seconds: float, level_dbfs: float = -65.0, seed: int = 0) -> np.ndarray:
    """Very quiet brown-ish noise: what a "silent" title card sounds like."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SR))
    x = np.cumsum(rng.standard_normal(n)).astype(np.float64)
    x -= np.convolve(x, np.ones(401) / 401, mode="same")  # remove the drift, keep the rumble
    return (x / max(rms(x), 1e-12) * 10 ** (level_dbfs / 20)).astype(np.float32)


# ------------------------------------------------------------------ speech
def load_speech(path: Path) -> np.ndarray:
    from subpipe.audio.media import extract_audio

    return extract_audio(path).samples


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def frame_levels(x: np.ndarray, frame: int = 320) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.zeros(0)
    f = x[: n * frame].reshape(n, frame).astype(np.float64)
    return 20 * np.log10(np.sqrt(np.mean(f * f, axis=1)) + 1e-12)


def active_rms(x: np.ndarray) -> float:
    """RMS over the frames within 30 dB of the loudest (roughly ITU P.56 active speech level)."""
    lv = frame_levels(x)
    if not len(lv):
        return rms(x)
    keep = lv > lv.max() - 30
    frames = x[: len(lv) * 320].reshape(len(lv), 320)[keep]
    return rms(frames.ravel())


def speech_bounds_ms(x: np.ndarray) -> tuple[int, int]:
    """First and last 20 ms frame of a clean clip within 35 dB of its loudest frame."""
    lv = frame_levels(x)
    on = np.flatnonzero(lv > lv.max() - 35)
    if not len(on):
        return 0, 0
    return int(on[0] * 20), int((on[-1] + 1) * 20)


def reference_text(path: Path) -> str:
    txt = path.with_suffix(".txt")
    return " ".join(txt.read_text(encoding="utf-8").split())


def language_of(rel: str) -> str:
    return "zh" if rel.startswith("mandarin/") else "en"


# ------------------------------------------------------------------ mixes
@dataclass(frozen=True)
class Region:
    kind: str  # speech | music | silence
    start_ms: int
    end_ms: int
    text: str = ""
    language: str | None = None
    source: str | None = None
    speech_on_ms: int | None = None  # where the voice actually starts and stops inside a speech region
    speech_off_ms: int | None = None


@dataclass(frozen=True)
class Mix:
    name: str
    path: str
    bed: str | None
    ratio_db: float | None  # speech-to-music ratio under the speech; None: no music under the speech
    duration_ms: int
    regions: tuple[Region, ...] = field(default_factory=tuple)

    def speech(self) -> list[Region]:
        return [r for r in self.regions if r.kind == "speech"]


def write_wav(path: Path, x: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def build_mix(
    out: Path,
    parts: list[tuple[str, float | str]],
    *,
    data: Path,
    bed: str | None,
    ratio_db: float | None,
    music_in_gaps: bool = True,
) -> Mix:
    """Assemble one file from parts, then lay a bed under it.

    ``parts`` is a list of ("music", seconds) | ("silence", seconds) | ("gap", seconds) | ("speech", rel_path).
    The bed plays under music parts always, under speech parts at ``ratio_db`` below the speech's active level
    (unless ``ratio_db`` is None), under gaps when ``music_in_gaps``; silence parts get room tone only.
    """
    speech_gain = 10 ** (SPEECH_LEVEL_DBFS / 20)
    if ratio_db is None:
        bed_gain = 10 ** ((SPEECH_LEVEL_DBFS - 10) / 20) / 10 ** (-20 / 20)  # beds alone sit at -33 dBFS
    else:
        bed_gain = 10 ** ((SPEECH_LEVEL_DBFS - ratio_db) / 20) / 10 ** (-20 / 20)
    chunks: list[np.ndarray] = []
    masks: list[np.ndarray] = []  # 1 where the bed plays
    regions: list[Region] = []
    pos = 0
    for kind, arg in parts:
        if kind == "speech":
            rel = str(arg)
            x = load_speech(data / rel)
            x = x / max(active_rms(x), 1e-9) * speech_gain
            on, off = speech_bounds_ms(x)
            n = len(x)
            regions.append(Region("speech", _ms(pos), _ms(pos + n), reference_text(data / rel), language_of(rel), rel,
                                  _ms(pos) + on, _ms(pos) + off))
            chunks.append(x.astype(np.float32))
            masks.append(np.full(n, 1.0 if ratio_db is not None else 0.0, dtype=np.float32))
        else:
            secs = float(arg)
            n = int(round(secs * SR))
            chunks.append(np.zeros(n, dtype=np.float32))
            plays = kind == "music" or (kind == "gap" and music_in_gaps and bed is not None)
            masks.append(np.full(n, 1.0 if plays else 0.0, dtype=np.float32))
            regions.append(Region("music" if plays else "silence", _ms(pos), _ms(pos + n)))
        pos += n
    voice = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    mask = np.concatenate(masks) if masks else np.zeros(0, np.float32)
    mask = _smooth_mask(mask)
    y = voice + room_tone(len(voice) / SR, seed=len(voice))
    if bed is not None and len(voice):
        y = y + make_bed(bed, len(voice) / SR) * bed_gain * mask
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0.98:  # keep the mix unclipped; the ratio is unchanged
        y = y * (0.98 / peak)
    write_wav(out, y.astype(np.float32))
    return Mix(out.stem, str(out), bed, ratio_db, _ms(len(y)), tuple(_merge(regions)))


def _ms(samples: int) -> int:
    return int(samples * 1000 // SR)


def _smooth_mask(mask: np.ndarray, ramp_ms: int = 300) -> np.ndarray:
    """Fade the bed in and out over ``ramp_ms`` instead of cutting it (a mixer's fader, not a switch)."""
    k = int(SR * ramp_ms / 1000)
    if k < 2 or not len(mask):
        return mask
    return np.convolve(np.pad(mask, (k // 2, k - 1 - k // 2), mode="edge"), np.ones(k) / k, mode="valid").astype(
        np.float32)


def _merge(regions: list[Region]) -> list[Region]:
    out: list[Region] = []
    for r in regions:
        if out and r.kind == out[-1].kind and r.kind != "speech":
            out[-1] = Region(r.kind, out[-1].start_ms, r.end_ms)
        else:
            out.append(r)
    return out


def trailer_mixes(out_dir: Path, data: Path, *, ratios=(10.0, 5.0, 0.0), clips=ENGLISH[:4],
                  beds=("score", "chords", "drums", "effects")) -> list[Mix]:
    """One file per (clip, ratio): a 5-15 s musical intro, the speech over the bed, a musical outro."""
    mixes = []
    intros = (10.0, 5.0, 15.0, 7.5, 12.0, 6.0)
    for i, rel in enumerate(clips):
        for ratio in ratios:
            intro = intros[i % len(intros)]
            outro = intros[(i + 2) % len(intros)]
            bed = beds[i % len(beds)]
            name = f"trailer_{Path(rel).stem}_{bed}_{int(ratio):+d}dB"
            mixes.append(build_mix(out_dir / f"{name}.wav", [("music", intro), ("speech", rel), ("music", outro)],
                                   data=data, bed=bed, ratio_db=ratio))
    return mixes


def clean_mixes(out_dir: Path, data: Path, clips=ENGLISH[:4]) -> list[Mix]:
    """The same clips with nothing under them: the clean baseline."""
    return [build_mix(out_dir / f"clean_{Path(rel).stem}.wav", [("silence", 1.0), ("speech", rel), ("silence", 1.0)],
                      data=data, bed=None, ratio_db=None) for rel in clips]


def music_only(out_dir: Path, seconds: float = 60.0, bed: str = "score") -> Mix:
    return build_mix(out_dir / f"music_only_{bed}.wav", [("music", seconds)], data=Path("."), bed=bed, ratio_db=None)


def silence_only(out_dir: Path, seconds: float = 60.0) -> Mix:
    """Digital silence, then room tone: both kinds of "nothing" a title card can carry."""
    n = seconds / 2
    mix = build_mix(out_dir / "silence_only.wav", [("silence", seconds)], data=Path("."), bed=None, ratio_db=None)
    # the first half is exact digital zero
    with wave.open(mix.path, "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
    pcm[: int(n * SR)] = 0
    write_wav(Path(mix.path), pcm.astype(np.float32) / 32767)
    return mix


def intro_mix(out_dir: Path, data: Path, rel: str = ENGLISH[0], intro: float = 10.0, bed: str = "score",
              ratio_db: float = 10.0) -> Mix:
    """A speech clip behind a musical intro of ``intro`` seconds (the first-word test)."""
    name = f"intro{int(intro)}s_{Path(rel).stem}_{bed}"
    return build_mix(out_dir / f"{name}.wav", [("music", intro), ("speech", rel), ("music", 3.0)], data=data,
                     bed=bed, ratio_db=ratio_db)


def mixed_language(out_dir: Path, data: Path, *, gap: float = 1.2, bed: str | None = None,
                   ratio_db: float | None = None, order=MIXED_ORDER) -> Mix:
    """English and Mandarin utterances one after another, short gaps between them."""
    parts: list[tuple[str, float | str]] = [("silence", 0.5)]
    for rel in order:
        parts += [("speech", rel), ("gap", gap)]
    name = "mixed_en_zh" + (f"_{bed}_{int(ratio_db):+d}dB" if bed and ratio_db is not None else "")
    return build_mix(out_dir / f"{name}.wav", parts, data=data, bed=bed, ratio_db=ratio_db,
                     music_in_gaps=bed is not None)


def save_manifest(mixes: list[Mix], path: Path) -> None:
    path.write_text(json.dumps([asdict(m) for m in mixes], ensure_ascii=False, indent=1), encoding="utf-8")


def load_manifest(path: Path) -> list[Mix]:
    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        regions = tuple(Region(**r) for r in d.pop("regions"))
        out.append(Mix(**d, regions=regions))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--subset", choices=["quick", "full"], default="quick")
    a = ap.parse_args(argv)
    clips = ENGLISH[:4] if a.subset == "quick" else ENGLISH
    mixes = trailer_mixes(a.out, a.data, clips=clips) + clean_mixes(a.out, a.data, clips)
    mixes += [music_only(a.out), silence_only(a.out), intro_mix(a.out, a.data), mixed_language(a.out, a.data)]
    save_manifest(mixes, a.out / "mixes.json")
    for m in mixes:
        print(f"{m.path}  {m.duration_ms / 1000:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
