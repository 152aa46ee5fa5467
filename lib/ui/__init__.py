"""Shared Streamlit widgets. The only part of lib/ that imports Streamlit."""
