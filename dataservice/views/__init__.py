"""HTTP views of the Data Service, one module per resource; each exposes an :class:`Api`."""
