"""Engines: one module per model family or offline engine; each builds its request, calls and parses.

Nothing here touches Streamlit or storage. `registry.engine_for(row)` is the only way in: services ask it for
the engine of a catalog row and never branch on a family themselves.
"""
