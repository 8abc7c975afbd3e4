"""The release stage: from validated curated tables to immutable, ledger-recorded releases.

One concern per module, in the order data flows:

- :mod:`.derive`: curated tables -> release tables (joins, derived columns);
- :mod:`.diff`: what changed since the previous release and which bump that needs;
- :mod:`.plan`: the pure decision of what a release will be (every rule that can refuse it);
- :mod:`.descriptor`, :mod:`.texts`, :mod:`.write`: the files of a release;
- :mod:`.guard`: the one build lock, clean-up of killed builds, and the check against the ledger;
- :mod:`.publish`: the I/O of a build (``build_release``);
- :mod:`.archive`, :mod:`.mirror`, :mod:`.verify`: the ``archive``, ``publish`` and ``verify`` commands.

Nothing here imports the loader; the ledger (:mod:`openconflict.ledger`) is the only record of releases.
"""

from __future__ import annotations

from openconflict.errors import BuildError
from openconflict.release.archive import archive_release, write_zip
from openconflict.release.mirror import publish_to_mirror
from openconflict.release.plan import ReleasePlan, plan_release
from openconflict.release.publish import BuildResult, build_release
from openconflict.release.verify import release_versions, verify_folder, verify_releases
from openconflict.release.write import ROW_GROUP

__all__ = [
    "ROW_GROUP",
    "BuildError",
    "BuildResult",
    "ReleasePlan",
    "archive_release",
    "build_release",
    "plan_release",
    "publish_to_mirror",
    "release_versions",
    "verify_folder",
    "verify_releases",
    "write_zip",
]
