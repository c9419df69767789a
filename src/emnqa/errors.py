"""Domain errors. The library raises these; only the CLI and the app turn them
into one friendly line. Each message says the rule, the actual value and the fix.
"""


class EmnqaError(Exception):
    """Base of every error emnqa raises on purpose."""


class ConfigError(EmnqaError):
    """A setting (an EMNQA_* variable or a value passed in) that cannot be used."""


class CorpusError(EmnqaError):
    """The corpus directory or its manifest cannot be used."""


class ModelUnavailable(EmnqaError):
    """The bundled embedding model (or its package) cannot be loaded."""


class IndexMissing(EmnqaError):
    """No index has been built at the given path."""


class IndexIncompatible(EmnqaError):
    """The index was built by another format version, model or dimension."""


class IndexCorrupt(EmnqaError):
    """The index files are damaged or do not agree with each other."""


class IndexStale(EmnqaError):
    """The corpus changed since the index was built."""


class IndexLocked(EmnqaError):
    """Another `emnqa index` run holds the index lock."""


class InvalidQuery(EmnqaError):
    """A question or a search parameter is not acceptable."""
