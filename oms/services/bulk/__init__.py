"""Bulk update (seed 004): selections, operations, the dry run, jobs that apply each target
exactly once, history and undo. Modules: selection, csv_selection, operations (registry),
fields, preview, launch, runner (lanes and recovery), engine (one chunk), history."""
