document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
    ],
    macros: {
      "\\R": "\\mathbb{R}",
      "\\Ex": "\\mathbb{E}_{#1}\\left[#2\\right]",
      "\\pt": "\\pi_{\\theta}",
    },
  })
})
