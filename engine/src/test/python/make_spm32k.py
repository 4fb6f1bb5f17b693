#!/usr/bin/python3
"""Writes the deterministic training corpus for the 32k-piece SentencePiece test model.

    /usr/bin/python3 make_spm32k.py CORPUS.txt
    spm_train --input=CORPUS.txt --model_prefix=spm32k ... (options in resources/tokenizer/README.md)

The text is synthetic but varied enough for 32,000 BPE merges: pseudo-words built from syllables
of several scripts (Latin with diacritics, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Hangul),
runs of common CJK ideographs and kana, code, numbers, emoji and whitespace runs. A fixed seed
makes it identical on every run (Python's random is stable across versions for these calls).
"""
import random
import sys

R = random.Random(20260127)

LATIN = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ho ja ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu va ve vi wa we xa ya za ze zo ch sh th st tr pr gr bl ck ng qu é è ê à ç ü ö ä ñ ø å ß".split()
CYRILLIC = "ба ве ги до жу за ик ла ме но пу ра си ту фе хо цы ча ша щи эю я ль ст пр кр".split()
GREEK = "αλ βε γι δο ευ ζη θα κι λο μυ νε ξι ορ πα ρω σι τα φο χε ψυ ωμ".split()
ARABIC = "ال بي تا ثو جي حم خر دو ذا رس زي سل شم صو ضي طا ظل عم غر فت قل كم لا من هو وي".split()
HEBREW = "של מה את הו בי לא כי על זה אם".split()
DEVANAGARI = "क ख ग घ च छ ज झ ट ठ ड त थ द ध न प फ ब भ म य र ल व श स ह ा ि ी ु ू े ै ो ौ ं".split()
HANGUL = [chr(c) for c in range(0xAC00, 0xAC00 + 600, 7)]
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000, 3)]
KANA = [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FB)]
EMOJI = ["😀", "😂", "👍", "👍🏽", "🎉", "🔥", "❤️", "🚀", "🇫🇷", "🇯🇵", "👨‍👩‍👧", "🤖", "✨", "🙏"]
CODE = [
    "def {w}(x, y):\n    return x + y * {n}\n",
    "for (int i = 0; i < {n}; i++) {{\n\t{w}[i] = i;\n}}\n",
    "if {w} != nil {{ return fmt.Errorf(\"{w}: %w\", err) }}\n",
    "SELECT {w}, COUNT(*) FROM t_{w} WHERE id > {n} GROUP BY {w};\n",
    "const {w} = await fetch(`/api/{w}/${{id}}`);\n",
    "    public static final int {W} = {n};\n",
    "<div class=\"{w}\">{w}</div>\n",
    "# {w}: {n}\n",
]


def word(syllables, lo=1, hi=4):
    return "".join(R.choice(syllables) for _ in range(R.randint(lo, hi)))


def sentence(syllables, sep=" "):
    words = [word(syllables) for _ in range(R.randint(3, 14))]
    return sep.join(words)


def line():
    kind = R.random()
    if kind < 0.30:
        s = sentence(LATIN)
        s = s[0].upper() + s[1:] + R.choice([".", "!", "?", ",", ";", ":"])
    elif kind < 0.38:
        s = sentence(CYRILLIC)
    elif kind < 0.43:
        s = sentence(GREEK)
    elif kind < 0.48:
        s = sentence(ARABIC)
    elif kind < 0.50:
        s = sentence(HEBREW)
    elif kind < 0.54:
        s = sentence(DEVANAGARI)
    elif kind < 0.59:
        s = sentence(HANGUL)
    elif kind < 0.72:
        s = "".join(R.choice(CJK + KANA) for _ in range(R.randint(5, 40))) + R.choice(["。", "、", "！", "？", ""])
    elif kind < 0.85:
        w = word(LATIN[:60], 2, 4)
        s = R.choice(CODE).format(w=w, W=w.upper(), n=R.randint(0, 99999)).rstrip("\n")
    elif kind < 0.92:
        s = " ".join(str(R.randint(0, 10 ** R.randint(1, 9))) for _ in range(R.randint(2, 8)))
    else:
        s = sentence(LATIN) + " " + "".join(R.choice(EMOJI) for _ in range(R.randint(1, 4)))
    if R.random() < 0.1:
        s = " " * R.randint(2, 8) + s
    if R.random() < 0.05:
        s = s.replace(" ", "\t")
    return s


def main():
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        # every CJK Unified Ideograph once, 40 to a line: with character_coverage=1.0 each becomes a
        # piece, as in real multilingual vocabularies, so 32k pieces need ~12k merges, not 32k
        block = [chr(c) for c in range(0x4E00, 0xA000)]
        for i in range(0, len(block), 40):
            f.write("".join(block[i:i + 40]) + "\n")
        for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 40000):
            f.write(line().replace("\n", " ") + "\n")


if __name__ == "__main__":
    main()
