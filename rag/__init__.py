"""Ask questions of a news corpus and get short answers with cited, dated passages.

    >>> from rag import Index
    >>> index = Index.open("index")
    >>> index.ingest(["seeds"]).summary()
    >>> index.ask("When did Harry last see Charles?").text
"""

from .answer import Answer, Citation
from .chunking import Chunk
from .config import Settings
from .corpus import Article
from .errors import RagError
from .index import Index
from .ingest import IngestReport
from .retrieval import Passage

__all__ = ["Answer", "Article", "Chunk", "Citation", "Index", "IngestReport", "Passage", "RagError", "Settings"]
