"""The built-in rule pack (data files only); installed as iam_analyzer.rules."""
