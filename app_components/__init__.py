"""Custom Streamlit components, each with its JavaScript and CSS shipped beside it (no build step, nothing fetched)."""
