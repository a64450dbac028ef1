"""Mechanisms every domain uses: exact decimals, mixins, centre scoping, optimistic locking, web plumbing."""
