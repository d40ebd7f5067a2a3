"""What a run leaves behind: run folders (safe, locked, atomic), manifests read back, JUnit,
cassettes (`run --record`, read by `run --replay`), the gallery and baseline pages (report*.py).

`OutputFolders` implements wisdomgate.run.store.RunStores for the runner. What the other stages
may use is exported here.
"""

from wisdomgate.artifacts.cassette import CassetteError, CassetteReader, CassetteWriter
from wisdomgate.artifacts.cassette_format import CassetteAnswer, CassetteRequest
from wisdomgate.artifacts.folders import OutputFolders, PlantedLinkError, RunFolder
from wisdomgate.artifacts.junit import junit_xml, write_junit
from wisdomgate.artifacts.manifest import ManifestError, expand_request, read_manifest, turn_record
from wisdomgate.artifacts.report import Report, write_report
from wisdomgate.artifacts.report_load import ReportError, load_runs

__all__ = [
    "CassetteAnswer",
    "CassetteError",
    "CassetteReader",
    "CassetteRequest",
    "CassetteWriter",
    "ManifestError",
    "OutputFolders",
    "PlantedLinkError",
    "Report",
    "ReportError",
    "RunFolder",
    "expand_request",
    "junit_xml",
    "load_runs",
    "read_manifest",
    "turn_record",
    "write_junit",
    "write_report",
]
