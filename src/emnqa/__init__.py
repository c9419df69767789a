"""emnqa: cited question answering over EMN Belgium publications."""

__version__ = "0.1.0"
