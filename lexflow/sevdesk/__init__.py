"""sevDesk: what its API can do. The client, sandbox and adapter come with their own issue."""
