"""The demo: warehouse WH1 and sample moves for it (site.py: pure), and `python -m cloud_hub
demo` applying them (pg/). The whole-system demo composes the product from deploy/."""
