"""The web pages and their assets (cloud_hub/web/static), and the data they fetch."""
