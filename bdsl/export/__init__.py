"""Training-file exports: only what passed the gates and was approved, in the formats
trainers read, with a manifest of hashes. One module per format."""
