// A small, safe Markdown renderer for model responses: it builds DOM nodes with createElement/textContent only
// (never innerHTML), so any HTML in the input is shown as text. Supported: paragraphs, ATX headings (# … ######),
// **bold** / __bold__, *italic* / _italic_, `inline code`, ``` fenced code blocks ```, bullet (- * +) and
// numbered (1.) lists (one level), > block quotes, horizontal rules (---), and [links](url) rendered as text
// followed by the URL in brackets (links are not clickable on purpose).

const h = (tag, cls) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  return node;
};

/** Inline markup → nodes appended to `parent`. */
export function renderInline(text, parent) {
  let i = 0;
  let plain = '';
  const flush = () => {
    if (plain) parent.append(document.createTextNode(plain));
    plain = '';
  };
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if (rest[0] === '\\' && /^[\\`*_[\]()#>+\-.!]/.test(rest.slice(1))) {
      plain += rest[1];
      i += 2;
    } else if ((m = /^(`+)([\s\S]*?[^`])\1(?!`)/.exec(rest))) {
      flush();
      const code = h('code');
      code.textContent = m[2].replace(/^ (.*) $/, '$1');
      parent.append(code);
      i += m[0].length;
    } else if ((m = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest))) {
      flush();
      const b = h('strong');
      renderInline(m[2], b);
      parent.append(b);
      i += m[0].length;
    } else if ((m = /^(\*|_)(?=\S)([\s\S]*?\S)\1(?![*_])/.exec(rest)) && (m[1] === '*' || !/\w$/.test(plain))) {
      flush();
      const em = h('em');
      renderInline(m[2], em);
      parent.append(em);
      i += m[0].length;
    } else if ((m = /^!?\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)/.exec(rest))) {
      flush();
      const link = h('span', 'md-link');
      renderInline(m[1] || m[2], link);
      parent.append(link);
      if (m[2] && m[2] !== m[1]) {
        const url = h('span', 'md-url');
        url.textContent = ` [${m[2]}]`;
        parent.append(url);
      }
      i += m[0].length;
    } else {
      plain += rest[0];
      i += 1;
    }
  }
  flush();
  return parent;
}

/** Markdown text → a DocumentFragment. */
export function renderMarkdown(src) {
  const out = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  let list = null; // {node, ordered}
  const endPara = () => {
    if (para.length) {
      const p = h('p');
      para.forEach((line, k) => {
        if (k) p.append(document.createElement('br'));
        renderInline(line, p);
      });
      out.append(p);
    }
    para = [];
  };
  const endList = () => { list = null; };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if ((m = /^\s*(```+|~~~+)\s*([\w+-]*)\s*$/.exec(line))) {
      endPara();
      endList();
      const fence = m[1];
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
      const pre = h('pre', 'md-code');
      const code = h('code');
      code.textContent = body.join('\n');
      if (m[2]) pre.dataset.lang = m[2];
      pre.append(code);
      out.append(pre);
    } else if (!line.trim()) {
      endPara();
      endList();
    } else if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      endPara();
      endList();
      const level = Math.min(6, m[1].length + 2); // h3…h6 inside the page
      const node = h(`h${Math.min(level, 6)}`, 'md-heading');
      renderInline(m[2], node);
      out.append(node);
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      endPara();
      endList();
      out.append(h('hr'));
    } else if ((m = /^\s{0,3}>\s?(.*)$/.exec(line))) {
      endPara();
      endList();
      const quote = h('blockquote');
      const body = [m[1]];
      while (i + 1 < lines.length && (m = /^\s{0,3}>\s?(.*)$/.exec(lines[i + 1]))) { body.push(m[1]); i += 1; }
      quote.append(renderMarkdown(body.join('\n')));
      out.append(quote);
    } else if ((m = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line))) {
      endPara();
      const ordered = /\d/.test(m[1]);
      if (!list || list.ordered !== ordered) {
        list = { node: h(ordered ? 'ol' : 'ul'), ordered };
        if (ordered && parseInt(m[1], 10) !== 1) list.node.start = parseInt(m[1], 10);
        out.append(list.node);
      }
      const li = h('li');
      renderInline(m[2], li);
      list.node.append(li);
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.node.lastChild.append(' ');
      renderInline(line.trim(), list.node.lastChild);
    } else {
      endList();
      para.push(line);
    }
  }
  endPara();
  return out;
}
