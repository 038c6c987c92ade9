"""Attachments: validating uploads, the storage they live in, and who may read them."""
