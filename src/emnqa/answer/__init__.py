"""The answering stage: a Query and its passages -> evidence -> a verdict -> the answer.

Pure functions over data; what they need to know of the corpus comes in as
`CorpusFacts`, built once from the index.
"""
