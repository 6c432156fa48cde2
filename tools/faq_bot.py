"""The python-telegram-bot yardstick of the three-way benchmark (`bench-threeway`).

It answers every text message with the FAQ entry of `knowledge/faq/*.toml` that
rank-bm25 (Okapi BM25) ranks first over the entry's question, alternatives and answer:
the same FAQ entries Sportello answers from, with a plain bag-of-words search.

Not part of the product and never run by `cargo test` or CI. Install its two packages by
hand: `pip install python-telegram-bot rank-bm25`. Run:
`TELOXIDE_TOKEN=... TELOXIDE_API_URL=http://127.0.0.1:PORT/ python3 tools/faq_bot.py`.
"""

import os
import re
import sys
import tomllib
import unicodedata
from pathlib import Path

from rank_bm25 import BM25Okapi
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return WORD.findall(folded)


def load_faqs(knowledge: Path) -> list[dict]:
    faqs = []
    for path in sorted((knowledge / "faq").glob("*.toml")):
        with open(path, "rb") as f:
            faqs.extend(tomllib.load(f).get("faq", []))
    return faqs


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    knowledge = Path(sys.argv[1]) if len(sys.argv) > 1 else repo / "knowledge"
    faqs = load_faqs(knowledge)
    corpus = [
        words(" ".join([f["question"], *f.get("alternatives", []), f["answer"]]))
        for f in faqs
    ]
    bm25 = BM25Okapi(corpus)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        scores = bm25.get_scores(words(update.message.text))
        best = max(range(len(faqs)), key=lambda i: scores[i])
        await update.message.reply_text(faqs[best]["answer"])

    base = os.environ["TELOXIDE_API_URL"].rstrip("/") + "/bot"
    app = (
        Application.builder()
        .token(os.environ["TELOXIDE_TOKEN"])
        .base_url(base)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, answer))
    app.run_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
