"""How much of the French and Dutch questions the trilingual lexicon translates.

    .venv/bin/python eval/lexicon_coverage.py            # train: figures and the words it missed
    .venv/bin/python eval/lexicon_coverage.py --split test   # figures only (test's misses are not read)

Content words are the words of the questions (and their conversations' user
turns) that the lexicon does not list as function or question words, numbers
aside. "translated" counts those the lexicon rendered in English (a phrase of
several words counts as one); names and acronyms it does not list pass
through as written and are counted apart ("passed through": a capital letter
inside or at the start of a word that is not the question's first).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from emnqa.evaluation.splits import load_splits
from emnqa.language.lexicon import default_lexicon
from emnqa.language.translate import translate_question

EVAL_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="train", choices=("train", "dev", "test"))
    parser.add_argument("--show", type=int, default=60, help="how many missed words to list (train and dev only)")
    args = parser.parse_args(argv)
    lexicon = default_lexicon()
    print(f"lexicon: {lexicon.size('fr')} French rows, {lexicon.size('nl')} Dutch rows")
    questions = [q for q in load_splits([args.split], EVAL_DIR) if q.lang in ("fr", "nl")]
    for lang in ("fr", "nl"):
        texts = []
        for q in questions:
            if q.lang == lang:
                texts += [t.content for t in q.history if t.role == "user"]
                texts.append(q.question)
        found = names = 0
        missed: collections.Counter[str] = collections.Counter()
        for text in texts:
            translation = translate_question(text, lang, lexicon)
            found += len(translation.found)
            for word in translation.missing:
                if any(ch.isupper() for ch in word[1:]) or (word[:1].isupper() and not text.startswith(word)):
                    names += 1
                else:
                    missed[word.casefold()] += 1
        content = found + names + sum(missed.values())
        print(
            f"{lang}: {len(texts)} texts, {content} content words: translated {found / content:.3f}, "
            f"names passed through {names / content:.3f}, not translated {sum(missed.values()) / content:.3f}; "
            f"of the words that are not names, translated {found / (found + sum(missed.values())):.3f}"
        )
        if args.split != "test" and args.show:
            print("  missed: " + ", ".join(f"{w} ({n})" for w, n in missed.most_common(args.show)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
