"""sevDesk as a second accounting system: what its API can do (`capabilities`), the typed client (`client`,
`models`) and the embedded sandbox (`sandbox`). See docs/sevdesk.md; the adapter comes with the flows."""
