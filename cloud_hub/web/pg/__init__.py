"""The web pages' queries: the map's layout and stock, the dashboard's figures, search."""
