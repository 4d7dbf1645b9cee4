"""Report templates (data files only); installed as iam_analyzer.reports."""
