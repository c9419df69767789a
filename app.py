"""The emnqa web chat (minimal for now: cited passages for each question).

    python app.py [--host 127.0.0.1] [--port 7860]

Builds the index first when it is missing or stale, with progress on the
terminal. Never makes a share link; Gradio's analytics are off.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from emnqa.config import Settings  # noqa: E402
from emnqa.errors import EmnqaError  # noqa: E402

EXAMPLES = [
    "How many people applied for international protection in Belgium in 2024?",
    "What is a subsequent application?",
    "How many voluntary returns were facilitated in 2024?",
]


def format_passages(hits) -> str:
    """Markdown listing of retrieved passages, each numbered as a citation."""
    if not hits:
        return "No passage in the EMN Belgium documents matches this question."
    lines = ["Passages from the EMN Belgium documents that best match your question:", ""]
    for hit in hits:
        text = hit.chunk.text.replace("\n", " ")
        lines.append(f"**[{hit.rank}]** {hit.title} — *{hit.chunk.section or 'no section'}*  ")
        lines.append(f"> {text}")
        lines.append("")
    return "\n".join(lines)


def make_responder(retriever, k: int):
    def respond(message: str, history) -> str:
        try:
            return format_passages(retriever.search(message, k))
        except EmnqaError as exc:
            return str(exc)

    return respond


def build_demo(retriever, k: int = 5):
    import gradio as gr

    with gr.Blocks(title="emnqa — EMN Belgium documents") as demo:
        gr.Markdown("## emnqa\nAsk about the EMN Belgium publications; every passage shown is quoted from them.")
        gr.ChatInterface(
            make_responder(retriever, k),
            chatbot=gr.Chatbot(elem_id="chat", height=520),
            textbox=gr.Textbox(elem_id="question", placeholder="Ask a question…", max_length=2000),
            examples=EXAMPLES,
            api_name="chat",
        )
    return demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start the emnqa web chat.")
    parser.add_argument("--host", default=os.environ.get("EMNQA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMNQA_PORT", "7860")))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        from emnqa.indexing import build
        from emnqa.retrieval import open_dense_retriever

        report = build(settings, say=lambda m: print(m, file=sys.stderr, flush=True))
        if not report.up_to_date:
            print(f"Indexed {report.documents} documents into {report.chunks} chunks.", file=sys.stderr)
        retriever = open_dense_retriever(settings)
    except EmnqaError as exc:
        print(f"emnqa: {exc}", file=sys.stderr)
        return 1
    demo = build_demo(retriever)
    demo.queue(default_concurrency_limit=2, max_size=32)
    demo.launch(server_name=args.host, server_port=args.port, share=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
