"""The commands of the ``kv`` command line, one module per job.

:mod:`kv.commands.app` is the click group (it imports click); the engines
behind ``kv copy`` (:mod:`kv.commands.copier`, :mod:`kv.commands.checkpoint`)
and ``kv bench`` (:mod:`kv.commands.benchmark`) import neither click nor rich
and can be used from Python.
"""
