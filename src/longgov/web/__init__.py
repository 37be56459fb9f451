"""Web layer: templating, layout, middleware, errors, shell pages."""
