"""Numba kernel templates.

The files in this package are appended verbatim to every generated model
module (see :mod:`bifurc.codegen`). They call the model's generated functions
(``vector_field``, ``gather_coupling_sources``, ``add_coupling``,
``N_COUPLING_SOURCES``) as module globals, which lets numba inline them and
cache the result; they are never imported on their own.
"""
