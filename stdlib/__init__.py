"""The standard library: .bds modules and jinja2 prompt templates, shipped as package data."""
