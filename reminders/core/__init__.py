"""Pure values and rules: records, errors, the model, dates, occurrences, ICS, notices, words.

Imports no other folder of the package (docs/design-notes.md, "Layout and data flow").
"""
