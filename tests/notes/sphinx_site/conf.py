# Sphinx configuration of a small course site (read by pgverify with `ast`, never run).
import os
import sys

sys.path.insert(0, os.path.abspath("."))

project = "Policy Gradient Notes"
extensions = ["sphinx.ext.mathjax"]

_macros = {
    "E": "{\\mathrm E}",
    "underE": ["\\underset{\\begin{subarray}{c}#1\\end{subarray}}{\\E}\\left[#2\\right]", 2],
    "gradtheta": "\\nabla_{\\theta}",
}
mathjax3_config = {"tex": {"macros": _macros}}
mathjax3_config["tex"]["macros"]["logp"] = ["\\log \\pi_{\\theta}(#1 | #2)", 2]

html_theme = "alabaster"
