"""The course catalogue: the files under CONTENT_DIR read into immutable objects, checked, and kept live.

- model: the frozen dataclasses (Course, Module, QuestionBank, Provider, Approval...)
- checker / yaml_lines: reading typed YAML fields with file and line for every problem
- loader: the files into a Catalogue; markdown: the one Markdown renderer
- store: the live catalogue (re-read on change, last valid version kept); cli: `flask content check`
"""
