"""Every export the admin pages and `flask reports` offer, by name, each as CSV and XLSX."""
from .exports import EXPORTS as COMPLETION_EXPORTS
from .learner_reports import LEARNER_EXPORTS

EXPORTS = COMPLETION_EXPORTS | {export.name: export for export in LEARNER_EXPORTS}
