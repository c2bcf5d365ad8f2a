"""The columnar batch evaluator: a registry's columns judged as whole arrays (see README "Batch")."""
