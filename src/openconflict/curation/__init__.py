"""Curator tools: find what is already known (``lookup``) and add rows with ids and checks (``new``).

Why a package of its own: these tools sit on top of the build side (they read the curated tree, the
gazetteer and the release ledger, and call the validator) and serve curators only, so nothing in the
researcher's import path (``import openconflict``, the loader) imports them. rapidfuzz does the fuzzy
scoring; :mod:`.translit` folds transliteration variants before it scores.
"""
