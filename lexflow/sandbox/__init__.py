"""The embedded sandboxes' shared parts and their entry point.

Each provider's sandbox lives in its own package (`lexflow.lexware.sandbox`, `lexflow.sevdesk.sandbox`, ...). Here:
`lexflow sandbox serve --provider NAME` (also `python -m lexflow.sandbox serve`), the document store every sandbox
keeps its state in (`store`), and the pieces of their HTTP fronts they share (`gateway`). See docs/architecture.md.
"""
