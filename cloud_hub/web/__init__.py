"""The live map and dashboard pages: their JSON shapes and the demo-site generator here (pure),
their bounded queries in pg/, the pages, assets (static/) and data routes in api/."""
