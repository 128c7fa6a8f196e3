"""The agent task suite (issue 21): 30 tasks in the style of tau-bench, graded on the sandbox's end state.

`python -m bench.agent --help`; docs/performance.md#agent-task-suite has the figures and docs/actions.md how the
suite gates the frequent-mistake hints.
"""
