// Typeset formulas with KaTeX for deckbuild/math.py: a JSON list of {tex, display} on stdin,
// a JSON list of {html} or {error} on stdout, in the same order, each with KaTeX's warnings.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({tex, display}) => {
    const warnings = [];
    const options = {
      displayMode: display,
      throwOnError: true,
      output: "htmlAndMathml",  /* MathML for screen readers, HTML for the eye */
      strict: (code, message) => { warnings.push(message); return "ignore"; },
    };
    try {
      return {html: katex.renderToString(tex, options), warnings};
    } catch (error) {
      return {error: String(error.message || error), warnings};
    }
  });
  process.stdout.write(JSON.stringify(results));
});
