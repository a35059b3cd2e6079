"""The offline fallback for Pulumi's Python plugins: a language host and a dynamic-provider host.

Used only where the official ``pulumi-language-python`` cannot be installed (see README.md in
this folder). Nothing in the ``cwtenants`` product package imports this package.
"""
