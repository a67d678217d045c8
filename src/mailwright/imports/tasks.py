"""Background execution of imports (django-tasks, queue "imports"; `mailwright up` runs the
task worker). The task gets the import's id, never an object."""

from __future__ import annotations

from django_tasks import task

from mailwright.imports import analysis, running
from mailwright.imports.models import Import


def process(import_id: int, *, on_progress: running.Progress | None = None) -> Import:
    """Analyse the file if that is still to do, then run the import if it may run."""
    imp = Import.objects.get(pk=import_id)
    if imp.state == Import.State.ANALYSING:
        imp = analysis.analyse(import_id, on_progress=on_progress)
    if imp.state == Import.State.RUNNING:
        imp = running.run(import_id, on_progress=on_progress)
    return imp


@task(queue_name="imports")
def process_import(import_id: int) -> None:
    process(import_id)
