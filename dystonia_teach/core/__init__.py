"""Pure core: vocabulary, case model, knowledge base, predicates, rules, engine, results,
evidence and sessions.

No file formats beyond the packaged knowledge data, no Jupyter, no plotting; every layer above
may import it.
"""
