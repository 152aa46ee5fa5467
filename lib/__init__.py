"""Bedrock Image Workshop core: everything below lib/ui/ is free of Streamlit."""
