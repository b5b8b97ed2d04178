// Typesets the formulas of app_components/prose.py's text: every `.gd-prose .math` element (its TeX as text,
// "inline" or "block"), rendered in place by KaTeX, the version Streamlit's own markdown uses, with the style
// sheet and fonts Streamlit already loads. Each text that holds a formula carries a <script type="module"> of this
// file; a module runs once in a page however often it is included, and from then on a MutationObserver typesets
// each text as Streamlit puts it in the page (a rerun that changes a text replaces its HTML whole).
const PENDING = '.gd-prose .math:not([data-tex])';

function typeset(katex) {
  for (const el of document.querySelectorAll(PENDING)) {
    const tex = el.textContent;
    el.dataset.tex = tex; // marks it done; KaTeX keeps the TeX in its MathML too
    try {
      // a TeX error is drawn in place, in red with the message as its title, as Streamlit's markdown draws it
      katex.render(tex, el, {displayMode: el.classList.contains('block'), throwOnError: false});
    } catch (err) {
      // anything else KaTeX throws: the same red TeX, and the next formula still typeset
      const span = document.createElement('span');
      span.className = 'katex-error';
      span.title = String(err);
      span.style.color = '#cc0000';
      span.textContent = tex;
      el.replaceChildren(span);
    }
  }
}

try {
  await import(new URL('katex-0.16.47.min.js', import.meta.url).href); // sets self.katex
  const katex = self.katex;
  if (typeof katex?.render !== 'function') throw new Error('katex-0.16.47.min.js set no katex.render');
  typeset(katex);
  new MutationObserver(() => {
    if (document.querySelector(PENDING)) typeset(katex);
  }).observe(document.body, {childList: true, subtree: true});
} catch (err) {
  // KaTeX did not load (the server went away, say): the TeX shows as text (prose.css)
  console.error('typeset: KaTeX did not load', err);
  document.documentElement.classList.add('gd-no-katex');
}
