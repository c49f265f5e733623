// MathJax 3 for pymdownx.arithmatex (generic mode): typesets the \( \) and \[ \] it leaves in
// the page, and again after each instant page load of the Material theme. MathJax itself is
// served by the site (javascripts/mathjax/tex-svg.js, loaded after this file), so the maths
// renders with no network; its SVG output needs no font files, which a browser may refuse to
// load from file://.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  svg: {
    fontCache: "global"   // each glyph's path once per page, reused by every formula
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  }
};

if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.startup && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
