"""Order forms: a product's form fields, their priced options, and the answers stored with a service."""
