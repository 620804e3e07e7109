"""The `leadrouter` command for operators."""
