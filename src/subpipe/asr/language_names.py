"""``--language``: one rule for codes and names. ``EN``, ``en``, ``English`` and ``english`` are all ``en``;
anything Whisper does not know is refused with the closest matches; an English-only model (``tiny.en``)
transcribes everything as English, and says so when another language was asked for.

The names are Whisper's own (openai/whisper ``tokenizer.LANGUAGES`` and its aliases); the codes are checked
against the ones faster-whisper accepts.
"""

from __future__ import annotations

import difflib

from ..errors import UsageError

# code -> Whisper's English name
NAMES = {
    "en": "english", "zh": "chinese", "de": "german", "es": "spanish", "ru": "russian", "ko": "korean",
    "fr": "french", "ja": "japanese", "pt": "portuguese", "tr": "turkish", "pl": "polish", "ca": "catalan",
    "nl": "dutch", "ar": "arabic", "sv": "swedish", "it": "italian", "id": "indonesian", "hi": "hindi",
    "fi": "finnish", "vi": "vietnamese", "he": "hebrew", "uk": "ukrainian", "el": "greek", "ms": "malay",
    "cs": "czech", "ro": "romanian", "da": "danish", "hu": "hungarian", "ta": "tamil", "no": "norwegian",
    "th": "thai", "ur": "urdu", "hr": "croatian", "bg": "bulgarian", "lt": "lithuanian", "la": "latin",
    "mi": "maori", "ml": "malayalam", "cy": "welsh", "sk": "slovak", "te": "telugu", "fa": "persian",
    "lv": "latvian", "bn": "bengali", "sr": "serbian", "az": "azerbaijani", "sl": "slovenian", "kn": "kannada",
    "et": "estonian", "mk": "macedonian", "br": "breton", "eu": "basque", "is": "icelandic", "hy": "armenian",
    "ne": "nepali", "mn": "mongolian", "bs": "bosnian", "kk": "kazakh", "sq": "albanian", "sw": "swahili",
    "gl": "galician", "mr": "marathi", "pa": "punjabi", "si": "sinhala", "km": "khmer", "sn": "shona",
    "yo": "yoruba", "so": "somali", "af": "afrikaans", "oc": "occitan", "ka": "georgian", "be": "belarusian",
    "tg": "tajik", "sd": "sindhi", "gu": "gujarati", "am": "amharic", "yi": "yiddish", "lo": "lao",
    "uz": "uzbek", "fo": "faroese", "ht": "haitian creole", "ps": "pashto", "tk": "turkmen", "nn": "nynorsk",
    "mt": "maltese", "sa": "sanskrit", "lb": "luxembourgish", "my": "myanmar", "bo": "tibetan",
    "tl": "tagalog", "mg": "malagasy", "as": "assamese", "tt": "tatar", "haw": "hawaiian", "ln": "lingala",
    "ha": "hausa", "ba": "bashkir", "jw": "javanese", "su": "sundanese", "yue": "cantonese",
}
ALIASES = {
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht", "letzeburgesch": "lb", "pushto": "ps",
    "panjabi": "pa", "moldavian": "ro", "moldovan": "ro", "sinhalese": "si", "castilian": "es",
    "mandarin": "zh", "javanese": "jw", "jv": "jw", "iw": "he", "farsi": "fa", "norwegian bokmal": "no",
    "nb": "no", "filipino": "tl",
}


def _known_codes() -> frozenset[str]:
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:  # pragma: no cover - the model extra is always there where transcription runs
        return frozenset(NAMES)
    return frozenset(_LANGUAGE_CODES)


def normalize_language(value: str | None) -> str | None:
    """A Whisper language code for a code or name in any case (``None``, "", "auto": detect). Unknown values
    raise UsageError naming the closest known ones."""
    if value is None:
        return None
    v = " ".join(str(value).replace("_", " ").split()).lower()
    if v in ("", "auto", "detect"):
        return None
    codes = _known_codes()
    if v in codes:
        return v
    by_name = {name: code for code, name in NAMES.items()} | ALIASES
    if v in by_name and by_name[v] in codes:
        return by_name[v]
    if "-" in v and v.split("-", 1)[0] in codes:  # en-US, zh-CN: the language, not the region
        return v.split("-", 1)[0]
    close = difflib.get_close_matches(v, sorted(by_name) + sorted(codes), n=3, cutoff=0.75)
    raise UsageError(f"unknown language {value!r}",
                     hint=(f"did you mean {', '.join(close)}? " if close else "")
                     + "give a code or a name Whisper knows (en, english, zh, chinese, ...), or leave it out to "
                       "detect it")


def english_only_note(model_name: str, language: str | None) -> str | None:
    """What an English-only model does with another language (faster-whisper quietly uses English)."""
    if language in (None, "en"):
        return None
    return (f"{model_name} is an English-only model: --language {language} ({NAMES.get(language, language)}) "
            f"was not used, the speech was transcribed as English; use a multilingual model (base, small, ...) "
            f"for {NAMES.get(language, language)}")
