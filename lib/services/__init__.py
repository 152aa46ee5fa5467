"""Capabilities the labs ask for: what a job does, validation and recording (no Streamlit)."""
