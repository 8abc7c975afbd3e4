"""The curated sources registry, read, checked and kept on disk a chunk at a time by a build in parts.

Why: the registry grows with the events (3.3M reports, 673 MB of text at 10M synthetic events). Read whole,
then parsed and checked, it took 1.4-2.1 GB at the start of a build in parts and 0.7 GB through every
part, and so set how the build's memory grew with the release (issue 12). Here ``sources.csv`` is read
:data:`CHUNK_BYTES` at a time; each chunk is parsed, checked by the registry's own rules (the same
:func:`~openconflict.validate.validate_curated` a whole read runs) and written to an Arrow IPC file in the
build's scratch folder. Only the ids stay in memory (about 90 MB at 10M events): a part takes the rows its
events cite (:meth:`SourceStore.cited_by`), and the released sources are taken from the file in id order
at the end (:mod:`openconflict.release.sources_out`).

Refusals: a chunk that cannot be judged alone (:func:`~openconflict.curated.read_chunks`: text with
problems, a header that is not exactly the expected one, a blank line or a line break inside a quoted cell),
a rule broken, or an id used twice across chunks raises :class:`~openconflict.release.parts.Whole`; the
whole plan then reads the file the usual way and reports exactly what ``openconflict validate`` reports.

The store is read a batch at a time: a part (or a batch of the released sources) reads the batches that
hold its rows. A registry in the order of its events (as curators append reports) reads each batch about
once; a registry in another order still gives the same rows, only with more reading.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.curated import Curated, CuratedTable, NeedsWholeRead, numbered, read_chunks
from openconflict.release.parts import Whole

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from openconflict.schema import Schema

__all__ = ["CHUNK_BYTES", "STORE_ROWS", "SourceStore"]

#: Text read, parsed and checked at a time (about 320,000 reports of realistic length).
CHUNK_BYTES = 64 << 20
#: Rows per batch of the store on disk: a part's lookups and the released sources read whole batches.
STORE_ROWS = 65_536


class SourceStore:
    """The curated sources (string columns, in the file's order) in an Arrow IPC file; their ids in memory."""

    def __init__(self, path: Path, ids: pa.Array, starts: np.ndarray, columns: list[str], shown: str,
                 suspect: bool) -> None:
        self.path = path
        self.ids = ids
        self.starts = starts  # the first row of each batch of the file, and the number of rows last
        self.columns = columns
        self.shown = shown
        self.suspect_controls = suspect

    @property
    def num_rows(self) -> int:
        return len(self.ids)

    @staticmethod
    def store_schema(columns: list[str]) -> pa.Schema:
        """The store's columns: the curated text, every one a string."""
        import pyarrow as pa

        return pa.schema([(c, pa.string()) for c in columns])

    @classmethod
    def read(cls, files: list[Path], broken: list[Path], root: Path, schema: Schema, today: dt.date,
             scratch: Path) -> SourceStore:
        """Read, check and store ``sources.csv`` chunk by chunk; raise :class:`Whole` on anything unusual."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from openconflict.validate import validate_curated

        if broken or len(files) != 1:
            raise Whole("the sources registry is missing or not one file")
        columns = schema.columns("curated", "sources")
        path = scratch / "sources.arrow"
        ids: list[pa.Array] = []
        starts = [0]
        suspect = False
        shown = files[0].name  # (replaced by the name a whole read shows, once a chunk has rows)
        try:
            with pa.ipc.new_file(path, cls.store_schema(columns)) as store:
                for chunk in read_chunks("sources", files[0], root, columns, CHUNK_BYTES):
                    if not validate_curated(Curated(root, {"sources": chunk}, [], 1), schema, today).ok:
                        raise Whole("a source breaks a rule")
                    for batch in chunk.table.select(columns).to_batches(max_chunksize=STORE_ROWS):
                        store.write_batch(batch)
                        starts.append(starts[-1] + batch.num_rows)
                    ids.append(chunk.table.column("source_id").combine_chunks())
                    suspect |= chunk.suspect_controls
                    shown = chunk.files[0]
        except NeedsWholeRead as exc:
            raise Whole(str(exc)) from None
        all_ids = pa.concat_arrays(ids) if ids else pa.array([], pa.string())
        if len(ids) > 1 and pc.count_distinct(all_ids).as_py() != len(all_ids):
            raise Whole("a source id is used twice")  # (each chunk's rules saw only their own rows)
        return cls(path, all_ids, np.array(starts, np.int64), columns, shown, suspect)

    def take(self, rows: Any) -> pa.Table:
        """The rows numbered ``rows`` (any order), each batch of the file read once."""
        import pyarrow as pa

        from openconflict.release.joins import take_grouped

        if not len(rows):
            return self.store_schema(self.columns).empty_table()
        # mapped for this call only: the rows are copied out, and the pages read leave the process with the map
        with pa.memory_map(str(self.path)) as source:
            return take_grouped(self.starts, pa.ipc.open_file(source).get_batch, rows)

    def cited_by(self, events: pa.Table) -> tuple[CuratedTable, np.ndarray]:
        """The registry cut to the rows ``events`` cite, as a curated table, and which rows those are (a mask).

        Every id the events cite finds the same rows it would in the whole registry, and an id it cites that
        the registry lacks is still missing; the registry's own rules ran on all of it.
        """
        import numpy as np
        import pyarrow.compute as pc

        from openconflict.release.derive import cited_ids

        keep = pc.is_in(self.ids, value_set=cited_ids(events)).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(keep)
        table = numbered(self.take(rows), rows)  # (read_chunks took only files of one row a line)
        sources = CuratedTable("sources", self.columns, table, [self.shown], suspect_controls=self.suspect_controls)
        return sources, keep
