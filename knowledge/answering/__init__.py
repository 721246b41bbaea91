"""The answer path, one module per stage (``composer`` wires them; ``knowledge.composer`` re-exports it)."""
